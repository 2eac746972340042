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

export interface UsageMetrics {
  requests: number;
  completed: number;
  inputTokens: number;
  outputTokens: number;
  images: number;
  spendMicroUsd: string;
  spendUsd: string;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  errorRate: number | null;
}

export interface UsageGroup extends UsageMetrics {
  day?: string;
  model?: string;
  keyId?: string;
  keyName?: string | null;
  keyPrefix?: string | null;
}

export interface UsageView {
  period: { from: string; to: string; days: number };
  groupBy: 'day' | 'model' | 'key';
  groups: UsageGroup[];
  truncated: boolean;
  totals: UsageMetrics;
}

export interface DashboardView {
  balance: { balanceMicroUsd: string; heldMicroUsd: string; availableMicroUsd: string; balanceUsd: string; availableUsd: string };
  spend: { requests: number; amountMicroUsd: string; amountUsd: string };
  spendAgainstBalance: { averageDailySpendUsd: string; availableCoversDays: number | null };
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
