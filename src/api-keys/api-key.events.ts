import { DomainEvent } from '../platform/event-sourcing/decider';

export interface ApiKeyLimits {
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
}

export type RevocationReason = 'revoked' | 'rotated' | 'account_deleted';

/** Stream `apikey-{keyId}`. Only the keyed hash of the key is ever recorded. */
export type ApiKeyEvent =
  | DomainEvent<
      'ApiKeyIssued',
      {
        keyId: string;
        accountId: string;
        name: string;
        prefix: string;
        keyHash: string;
        expiresAt: string | null;
        requestsPerMinute: number | null;
        tokensPerMinute: number | null;
        rotatedFrom: string | null;
        issuedAt: string;
      }
    >
  | DomainEvent<'ApiKeyRevoked', { keyId: string; accountId: string; reason: RevocationReason; replacedBy: string | null; revokedAt: string }>;

export const apiKeyStream = (keyId: string) => `apikey-${keyId}`;
