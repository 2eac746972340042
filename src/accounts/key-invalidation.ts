import Redis from 'ioredis';

/**
 * How a revocation reaches every instance within a second: the instance (or CLI) that revokes a
 * key or suspends an account publishes on this channel, and every API instance evicts what it
 * cached. A denylist entry in Redis covers instances that look a key up before the read model
 * has caught up with the revocation (projection lag), and instances that missed the message.
 * In accounts/, not api-keys/, because suspending or restricting an account publishes too and
 * accounts/ must not import api-keys/ (which depends on it); api-keys/ revokes keys, listens
 * (key-invalidation-listener.ts) and reads the denylist (key-lookup.ts).
 */
export const KEY_INVALIDATION_CHANNEL = 'tollgate:apikeys:invalidate';
/**
 * The denylist markers of one account share its hash tag, so the lookup reads a key's and its
 * account's markers in one MGET, and a revocation sets its marker and publishes in one MULTI,
 * on a Redis Cluster too (docs/operations.md, "Redis Cluster").
 */
export const revokedKeyMarker = (accountId: string, keyHash: string) => `tollgate:apikeys:revoked:{a:${accountId}}:${keyHash}`;
export const suspendedAccountMarker = (accountId: string) => `tollgate:accounts:suspended:{a:${accountId}}`;
/** P10: an account whose processing the person restricted; its keys are refused like a suspended account's. */
export const restrictedAccountMarker = (accountId: string) => `tollgate:accounts:restricted:{a:${accountId}}`;
/** Longer than any plausible projection lag; after it the read model alone is authoritative. */
export const DENYLIST_TTL_SECONDS = 24 * 60 * 60;

export type KeyInvalidation =
  | { kind: 'key'; keyHash: string; accountId: string }
  | { kind: 'account'; accountId: string; suspended: boolean }
  | { kind: 'restriction'; accountId: string; restricted: boolean };

export async function publishKeyInvalidation(redis: Redis, message: KeyInvalidation): Promise<void> {
  const multi = redis.multi();
  if (message.kind === 'key') multi.set(revokedKeyMarker(message.accountId, message.keyHash), '1', 'EX', DENYLIST_TTL_SECONDS);
  else if (message.kind === 'restriction') {
    if (message.restricted) multi.set(restrictedAccountMarker(message.accountId), '1', 'EX', DENYLIST_TTL_SECONDS);
    else multi.del(restrictedAccountMarker(message.accountId));
  } else if (message.suspended) multi.set(suspendedAccountMarker(message.accountId), '1', 'EX', DENYLIST_TTL_SECONDS);
  else multi.del(suspendedAccountMarker(message.accountId));
  multi.publish(KEY_INVALIDATION_CHANNEL, JSON.stringify(message));
  await multi.exec();
}
