import Redis from 'ioredis';

/**
 * Per-key and per-account limits in one Lua call (one Redis round trip per request): requests
 * and tokens per minute for the key and for its account (an account may hold many keys, which
 * would otherwise multiply every per-key limit), and the account's concurrent streams. Fixed
 * windows of one minute. The tokens counted are known before the work runs, as OpenAI counts
 * them: the prompt's estimate (≈4 characters a token) plus the max output. Not the charging bound
 * (bytes + an allowance), which would count a two-word prompt as hundreds of tokens. A single
 * request larger than a whole token budget still runs in an otherwise empty window.
 *
 * All of an account's keys share the Redis Cluster hash tag `{a:<accountId>}`, so the one script
 * touches keys of one slot. A stream holds a slot (a sorted-set member scored by its expiry) until
 * `release`; a process that dies mid-stream leaves a slot that expires after the slot TTL.
 */
const LIMIT = `
local now = tonumber(ARGV[1])
local minute = math.floor(now / 60000)
local function window(k)
  if tonumber(redis.call('HGET', k, 'w') or '-1') ~= minute then
    redis.call('HSET', k, 'w', minute, 'r', 0, 't', 0)
    redis.call('PEXPIRE', k, 120000)
  end
  return tonumber(redis.call('HGET', k, 'r')), tonumber(redis.call('HGET', k, 't'))
end
local tokens = tonumber(ARGV[4])
local kr, kt = window(KEYS[1])
local ar, at = window(KEYS[2])
local reset = (minute + 1) * 60000 - now
if kr + 1 > tonumber(ARGV[2]) then return {0, kr, kt, reset, 1} end
if kt > 0 and kt + tokens > tonumber(ARGV[3]) then return {0, kr, kt, reset, 2} end
if ar + 1 > tonumber(ARGV[5]) then return {0, kr, kt, reset, 3} end
if at > 0 and at + tokens > tonumber(ARGV[6]) then return {0, kr, kt, reset, 4} end
if ARGV[8] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[7]) then return {0, kr, kt, 1000, 5} end
  local ttl = tonumber(ARGV[9])
  redis.call('ZADD', KEYS[3], now + ttl, ARGV[8])
  redis.call('PEXPIRE', KEYS[3], ttl)
end
redis.call('HINCRBY', KEYS[1], 'r', 1)
redis.call('HINCRBY', KEYS[1], 't', tokens)
redis.call('HINCRBY', KEYS[2], 'r', 1)
redis.call('HINCRBY', KEYS[2], 't', tokens)
return {1, kr + 1, kt + tokens, reset, 0}
`;

export interface AccountLimits {
  requestsPerMinute: number;
  tokensPerMinute: number;
  concurrentStreams: number;
  /** A stream slot's life: longer than any stream, short enough that a crashed process's slots come back. */
  streamSlotTtlMs: number;
}

export interface RateLimitRequest {
  keyId: string;
  accountId: string;
  /** The key's own limits (or the deployment's per-key defaults). */
  requestsPerMinute: number;
  tokensPerMinute: number;
  tokens: number;
  /** A streamed request's id: it takes one of the account's stream slots until `release`. */
  streamId: string | null;
}

export type RateLimitExceeded = 'requests' | 'tokens' | 'account_requests' | 'account_tokens' | 'concurrent_streams';

export interface RateLimitOutcome {
  allowed: boolean;
  exceeded: RateLimitExceeded | null;
  /** For the 429: which limit, on the key or on the account. */
  message: string;
  headers: Record<string, string>;
  retryAfterSeconds: number;
  /** True when this request holds a stream slot: `release` it when the request ends, however it ends. */
  holdsStreamSlot: boolean;
}

const EXCEEDED: (RateLimitExceeded | null)[] = [null, 'requests', 'tokens', 'account_requests', 'account_tokens', 'concurrent_streams'];

interface Commands {
  tgRateLimit(keyWindow: string, accountWindow: string, streams: string, ...args: (string | number)[]): Promise<[number, number, number, number, number]>;
}

export class RateLimiter {
  private readonly redis: Redis & Commands;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly account: AccountLimits,
  ) {
    if (!('tgRateLimit' in redis)) redis.defineCommand('tgRateLimit', { lua: LIMIT, numberOfKeys: 3 });
    this.redis = redis as Redis & Commands;
  }

  async take(r: RateLimitRequest, now = Date.now()): Promise<RateLimitOutcome> {
    const a = this.account;
    const [allowed, requests, used, resetMs, which] = await this.redis.tgRateLimit(
      this.keyWindow(r.accountId, r.keyId),
      this.accountWindow(r.accountId),
      this.streams(r.accountId),
      now,
      r.requestsPerMinute,
      r.tokensPerMinute,
      r.tokens,
      a.requestsPerMinute,
      a.tokensPerMinute,
      a.concurrentStreams,
      r.streamId ?? '',
      a.streamSlotTtlMs,
    );
    const exceeded = EXCEEDED[which] ?? null;
    const retryAfterSeconds = Math.max(1, Math.ceil(resetMs / 1000));
    const reset = `${Math.ceil(resetMs / 1000)}s`;
    return {
      allowed: allowed === 1,
      exceeded,
      message: messageFor(exceeded, a.concurrentStreams, retryAfterSeconds),
      retryAfterSeconds,
      holdsStreamSlot: allowed === 1 && r.streamId !== null,
      // OpenAI's header names, which clients and SDKs already read (the key's own limits).
      headers: {
        'x-ratelimit-limit-requests': String(r.requestsPerMinute),
        'x-ratelimit-remaining-requests': String(Math.max(0, r.requestsPerMinute - requests)),
        'x-ratelimit-reset-requests': reset,
        'x-ratelimit-limit-tokens': String(r.tokensPerMinute),
        'x-ratelimit-remaining-tokens': String(Math.max(0, r.tokensPerMinute - used)),
        'x-ratelimit-reset-tokens': reset,
      },
    };
  }

  /** Gives a stream's slot back (completion, error or disconnect). Idempotent. */
  async release(accountId: string, streamId: string): Promise<void> {
    await this.redis.zrem(this.streams(accountId), streamId);
  }

  /** Streams holding a slot now (expired slots not counted). */
  async openStreams(accountId: string, now = Date.now()): Promise<number> {
    return this.redis.zcount(this.streams(accountId), `(${now}`, '+inf');
  }

  private keyWindow(accountId: string, keyId: string): string {
    return `${this.prefix}rl:{a:${accountId}}:k:${keyId}`;
  }
  private accountWindow(accountId: string): string {
    return `${this.prefix}rl:{a:${accountId}}`;
  }
  private streams(accountId: string): string {
    return `${this.prefix}rl:{a:${accountId}}:streams`;
  }
}

function messageFor(exceeded: RateLimitExceeded | null, maxStreams: number, retryAfterSeconds: number): string {
  switch (exceeded) {
    case null:
      return '';
    case 'requests':
    case 'tokens':
      return `Rate limit reached for ${exceeded} per minute on this API key. Retry after ${retryAfterSeconds}s.`;
    case 'account_requests':
    case 'account_tokens':
      return `Rate limit reached for ${exceeded === 'account_requests' ? 'requests' : 'tokens'} per minute on this account (all its API keys together). Retry after ${retryAfterSeconds}s.`;
    case 'concurrent_streams':
      return `This account already has ${maxStreams} streams open (all its API keys together); retry when one ends.`;
  }
}
