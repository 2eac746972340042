import Redis from 'ioredis';

/**
 * How a revocation reaches every instance within a second: the instance (or CLI) that revokes a
 * key or suspends an account publishes on this channel, and every API instance evicts what it
 * cached. A denylist entry in Redis covers instances that look a key up before the read model
 * has caught up with the revocation (projection lag), and instances that missed the message.
 */
export const KEY_INVALIDATION_CHANNEL = 'tollgate:apikeys:invalidate';
export const REVOKED_KEY_PREFIX = 'tollgate:apikeys:revoked:';
export const SUSPENDED_ACCOUNT_PREFIX = 'tollgate:accounts:suspended:';
/** P10: an account whose processing the person restricted; its keys are refused like a suspended account's. */
export const RESTRICTED_ACCOUNT_PREFIX = 'tollgate:accounts:restricted:';
/** Longer than any plausible projection lag; after it the read model alone is authoritative. */
export const DENYLIST_TTL_SECONDS = 24 * 60 * 60;

export type KeyInvalidation =
  | { kind: 'key'; keyHash: string; accountId: string }
  | { kind: 'account'; accountId: string; suspended: boolean }
  | { kind: 'restriction'; accountId: string; restricted: boolean };

export async function publishKeyInvalidation(redis: Redis, message: KeyInvalidation): Promise<void> {
  const multi = redis.multi();
  if (message.kind === 'key') multi.set(REVOKED_KEY_PREFIX + message.keyHash, '1', 'EX', DENYLIST_TTL_SECONDS);
  else if (message.kind === 'restriction') {
    if (message.restricted) multi.set(RESTRICTED_ACCOUNT_PREFIX + message.accountId, '1', 'EX', DENYLIST_TTL_SECONDS);
    else multi.del(RESTRICTED_ACCOUNT_PREFIX + message.accountId);
  } else if (message.suspended) multi.set(SUSPENDED_ACCOUNT_PREFIX + message.accountId, '1', 'EX', DENYLIST_TTL_SECONDS);
  else multi.del(SUSPENDED_ACCOUNT_PREFIX + message.accountId);
  multi.publish(KEY_INVALIDATION_CHANNEL, JSON.stringify(message));
  await multi.exec();
}
