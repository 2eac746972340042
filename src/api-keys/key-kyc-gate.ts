/**
 * KYC_REQUIRED (P17): a new key is refused until the account's KYC is verified. This is privacy's
 * KycGate, provided under this token by the global KycModule: api-keys/ must not import privacy/,
 * whose deletion and data export use api-keys/.
 */
export interface KeyKycGate {
  assertAllowed(accountId: string, what: 'API keys'): Promise<void>;
}
export const KEY_KYC_GATE = Symbol('KeyKycGate');
