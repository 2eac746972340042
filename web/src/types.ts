/** The shapes the console reads, as the routes answer them (money: micro-USD strings). */
export type Role = 'developer' | 'provider' | 'finance' | 'support' | 'admin' | string;

export interface Account {
  accountId: string;
  email: string | null;
  displayName: string | null;
  roles: Role[];
  status: 'active' | 'suspended';
}

export interface ConsoleSettings {
  google: boolean;
  telegramBotId: string | null;
  payments: boolean;
  /** Razorpay Checkout's script (a setting); null when payments are off. */
  checkoutScriptUrl: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  status: 'active' | 'revoked' | 'expired';
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  limits: { requestsPerMinute: number | null; tokensPerMinute: number | null };
}

export interface IssuedKey {
  key: string;
  apiKey: ApiKey;
}
