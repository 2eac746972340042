/**
 * The audit log keeps who did what to which id, never personal data: a value is kept only under
 * a key known to hold ids, times, amounts or filters, and only when it looks like one (no '@', so
 * never an email). Everything else is recorded by name alone.
 */
const SAFE_KEYS = new Set([
  'from',
  'to',
  'at',
  'limit',
  'before',
  'after',
  'cursor',
  'type',
  'kind',
  'account',
  'actor',
  'target',
  'action',
  'accountId',
  'paymentId',
  'orderId',
  'ownerId',
  'owner',
  'status',
  'ledgerStatus',
  'razorpayStatus',
  'day',
  'nodeId',
  'keyId',
  'model',
  'role',
  // CLI flags
  'node',
  'amount-usd',
  'operation-id',
  'expires-at',
  'effective-at',
  'input-usd-per-mtok',
  'output-usd-per-mtok',
  'per-image-usd',
]);
const SAFE_VALUE = /^[A-Za-z0-9_.:+\-/ ]{1,200}$/;
/** Route params are ids by construction; the same shape check keeps an unexpected one out. */
const SAFE_PARAM = /^[A-Za-z0-9_.:+-]{1,200}$/;
export const REDACTED = '[redacted]';
const MAX_KEYS = 32;

export function safeTarget(params: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params ?? {}).slice(0, MAX_KEYS)) {
    out[key.slice(0, 64)] = typeof value === 'string' && SAFE_PARAM.test(value) ? value : REDACTED;
  }
  return out;
}

export function safeQuery(query: Record<string, unknown> | undefined): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(query ?? {}).slice(0, MAX_KEYS)) {
    out[key.slice(0, 64)] = SAFE_KEYS.has(key) && typeof value === 'string' && SAFE_VALUE.test(value) ? value : null;
  }
  return out;
}
