import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { SignInMethod } from '../accounts/account.events';
import { REDIS } from '../platform/redis/redis.module';

/**
 * Sessions in Redis, one hash per session with the session lifetime as its TTL:
 *   tollgate:session:{sid}          account_id, refresh_hash (keyed hash of the current refresh token),
 *                                   method, created_at, last_used_at (sign-in or latest refresh),
 *                                   device (a coarse summary such as "Chrome on Linux": ./device-summary)
 *   tollgate:session:{sid}:retired  keyed hashes of the refresh tokens already rotated away
 * The braces are a Redis Cluster hash tag: both keys of a session live on one shard, so the
 * rotation script can touch both. No IP, user agent or token in clear is kept here.
 *   tollgate:account-sessions:{accountId}  the account's session ids, so all of them can be ended
 *                                   at once (a deletion request); as long-lived as its newest session.
 */
export const SESSION_KEY_PREFIX = 'tollgate:session:';
/** Enough to recognise a stolen token replayed long after the rotation that retired it. */
export const RETIRED_REFRESH_HASHES_MAX = 100;

const sessionKey = (sid: string) => `${SESSION_KEY_PREFIX}{${sid}}`;
const retiredKey = (sid: string) => `${SESSION_KEY_PREFIX}{${sid}}:retired`;
export const ACCOUNT_SESSIONS_PREFIX = 'tollgate:account-sessions:';
const accountSessionsKey = (accountId: string) => `${ACCOUNT_SESSIONS_PREFIX}${accountId}`;
/** Ending every session of an account reads at most this many ids per round. */
const END_ALL_BATCH = 500;
/** The sessions list reads at most this many ids of the index (live sessions are far fewer). */
export const LIST_MAX_IDS = 1_000;

/** A live session as the sessions list shows it (the sid stays inside: callers derive a public id). */
export interface SessionRecord {
  sid: string;
  method: SignInMethod;
  createdAt: string;
  lastUsedAt: string;
  device: string | null;
}

/**
 * Compare-and-rotate in one atomic step, so two concurrent refreshes with the same token cannot
 * both succeed. A token that was current once but has been rotated away is a reuse: someone
 * else holds a copy, so the whole session ends.
 */
const ROTATE_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'refresh_hash')
if not current then return {'missing'} end
if current == ARGV[1] then
  redis.call('HSET', KEYS[1], 'refresh_hash', ARGV[2], 'last_used_at', ARGV[4])
  redis.call('LPUSH', KEYS[2], ARGV[1])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
  return {'rotated', redis.call('HGET', KEYS[1], 'account_id'), tostring(ttl)}
end
if redis.call('LPOS', KEYS[2], ARGV[1]) then
  local account = redis.call('HGET', KEYS[1], 'account_id')
  redis.call('DEL', KEYS[1], KEYS[2])
  return {'reused', account}
end
return {'invalid'}
`;

export type RotateResult = { kind: 'rotated'; accountId: string; remainingSeconds: number } | { kind: 'reused'; accountId: string } | { kind: 'missing' | 'invalid' };

@Injectable()
export class SessionStore {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /**
   * A session's keys share its tag, the account's index has the account's: two slots on a Redis
   * Cluster, so two transactions. The index is written first: a session that exists is always
   * in it (so "end all" finds it); an index entry whose session was never made is dropped by list().
   */
  async create(sid: string, record: { accountId: string; refreshHash: string; method: SignInMethod; createdAt: string; device: string }, ttlSeconds: number): Promise<void> {
    await this.redis.multi().sadd(accountSessionsKey(record.accountId), sid).expire(accountSessionsKey(record.accountId), ttlSeconds).exec();
    await this.redis
      .multi()
      .hset(sessionKey(sid), {
        account_id: record.accountId,
        refresh_hash: record.refreshHash,
        method: record.method,
        created_at: record.createdAt,
        last_used_at: record.createdAt,
        device: record.device,
      })
      .expire(sessionKey(sid), ttlSeconds)
      .exec();
  }

  /** The account of a live session, or null once it was ended or expired. One GET per request. */
  async accountOf(sid: string): Promise<string | null> {
    return this.redis.hget(sessionKey(sid), 'account_id');
  }

  /** When the session's sign-in happened (refreshes keep it), or null once it ended. */
  async signedInAt(sid: string): Promise<Date | null> {
    const at = await this.redis.hget(sessionKey(sid), 'created_at');
    return at === null ? null : new Date(at);
  }

  async refreshHashOf(sid: string): Promise<string | null> {
    return this.redis.hget(sessionKey(sid), 'refresh_hash');
  }

  async rotate(sid: string, presentedHash: string, nextHash: string): Promise<RotateResult> {
    const [kind, accountId, ttlMs] = (await this.redis.eval(
      ROTATE_SCRIPT,
      2,
      sessionKey(sid),
      retiredKey(sid),
      presentedHash,
      nextHash,
      RETIRED_REFRESH_HASHES_MAX,
      new Date().toISOString(),
    )) as string[];
    if (kind === 'rotated') return { kind, accountId, remainingSeconds: Math.max(1, Math.floor(Number(ttlMs) / 1000)) };
    if (kind === 'reused') return { kind, accountId };
    return { kind: kind === 'missing' ? 'missing' : 'invalid' };
  }

  async end(sid: string): Promise<void> {
    await this.redis.del(sessionKey(sid), retiredKey(sid));
  }

  /**
   * The account's live sessions. The index may name sessions that expired or ended: they are
   * skipped and dropped from it, and a session of another account is never returned.
   */
  async list(accountId: string): Promise<SessionRecord[]> {
    const sids = (await this.redis.smembers(accountSessionsKey(accountId))).slice(0, LIST_MAX_IDS);
    if (sids.length === 0) return [];
    // One command a session, sent together (not a pipeline: on a cluster the sessions are on several primaries).
    const rows = await Promise.all(
      sids.map((sid) =>
        this.redis.hmget(sessionKey(sid), 'account_id', 'method', 'created_at', 'last_used_at', 'device').then(
          (values): [Error | null, unknown] => [null, values],
          (err: Error): [Error | null, unknown] => [err, null],
        ),
      ),
    );
    const live: SessionRecord[] = [];
    const gone: string[] = [];
    sids.forEach((sid, i) => {
      const [err, values] = rows[i] ?? [null, null];
      const [account, method, createdAt, lastUsedAt, device] = (err ? [] : (values as (string | null)[])) ?? [];
      if (account !== accountId || !createdAt) {
        if (!err && account === null) gone.push(sid);
        return;
      }
      live.push({ sid, method: method as SignInMethod, createdAt, lastUsedAt: lastUsedAt ?? createdAt, device: device ?? null });
    });
    if (gone.length > 0) await this.redis.srem(accountSessionsKey(accountId), ...gone);
    return live;
  }

  /** Ends one session of the account; false when it is not (or no longer) one of its sessions. */
  async endOf(accountId: string, sid: string): Promise<boolean> {
    if ((await this.accountOf(sid)) !== accountId) return false;
    await this.redis.del(sessionKey(sid), retiredKey(sid)); // the session first: an index entry left behind is harmless
    await this.redis.srem(accountSessionsKey(accountId), sid);
    return true;
  }

  /**
   * Ends every session of the account (the index may name sessions that already expired: deleting
   * them is harmless), but `except` (the caller's own, after a password change). Returns how many
   * ids were ended. Safe to repeat.
   */
  async endAll(accountId: string, except: string | null = null): Promise<number> {
    let ended = 0;
    for (;;) {
      const sids = (await this.redis.spop(accountSessionsKey(accountId), END_ALL_BATCH)).filter((sid) => sid !== except);
      if (sids.length === 0) break;
      await Promise.all(sids.map((sid) => this.redis.del(sessionKey(sid), retiredKey(sid)))); // one DEL a session: one slot each
      ended += sids.length;
    }
    // The kept session goes back in the index, so a later "end all" still finds it.
    if (except !== null && (await this.redis.exists(sessionKey(except)))) await this.redis.sadd(accountSessionsKey(accountId), except);
    return ended;
  }
}
