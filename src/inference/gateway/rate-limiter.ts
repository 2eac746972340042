import Redis from 'ioredis';

/**
 * Per-key requests and tokens per minute, one fixed window per minute, one Lua call. The tokens
 * counted are the request's upper bound (prompt bound + max output), known before the work runs.
 * A single request larger than the whole token budget still runs in an otherwise empty window.
 */
const LIMIT = `
local k = KEYS[1]
local now = tonumber(ARGV[1])
local minute = math.floor(now / 60000)
if tonumber(redis.call('HGET', k, 'w') or '-1') ~= minute then
  redis.call('HSET', k, 'w', minute, 'r', 0, 't', 0)
  redis.call('PEXPIRE', k, 120000)
end
local r = tonumber(redis.call('HGET', k, 'r'))
local t = tonumber(redis.call('HGET', k, 't'))
local rpm, tpm, tokens = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local reset = (minute + 1) * 60000 - now
if r + 1 > rpm then return {0, r, t, reset, 1} end
if t > 0 and t + tokens > tpm then return {0, r, t, reset, 2} end
redis.call('HINCRBY', k, 'r', 1)
redis.call('HINCRBY', k, 't', tokens)
return {1, r + 1, t + tokens, reset, 0}
`;

export interface RateLimitOutcome {
  allowed: boolean;
  /** Which limit refused: requests or tokens. */
  exceeded: 'requests' | 'tokens' | null;
  headers: Record<string, string>;
  retryAfterSeconds: number;
}

interface Commands {
  tgRateLimit(key: string, now: number, rpm: number, tpm: number, tokens: number): Promise<[number, number, number, number, number]>;
}

export class RateLimiter {
  private readonly redis: Redis & Commands;

  constructor(redis: Redis, private readonly prefix: string) {
    if (!('tgRateLimit' in redis)) redis.defineCommand('tgRateLimit', { lua: LIMIT, numberOfKeys: 1 });
    this.redis = redis as Redis & Commands;
  }

  async take(keyId: string, requestsPerMinute: number, tokensPerMinute: number, tokens: number, now = Date.now()): Promise<RateLimitOutcome> {
    const [allowed, requests, used, resetMs, which] = await this.redis.tgRateLimit(`${this.prefix}rl:{${keyId}}`, now, requestsPerMinute, tokensPerMinute, tokens);
    const reset = `${Math.ceil(resetMs / 1000)}s`;
    return {
      allowed: allowed === 1,
      exceeded: which === 1 ? 'requests' : which === 2 ? 'tokens' : null,
      retryAfterSeconds: Math.max(1, Math.ceil(resetMs / 1000)),
      // OpenAI's header names, which clients and SDKs already read.
      headers: {
        'x-ratelimit-limit-requests': String(requestsPerMinute),
        'x-ratelimit-remaining-requests': String(Math.max(0, requestsPerMinute - requests)),
        'x-ratelimit-reset-requests': reset,
        'x-ratelimit-limit-tokens': String(tokensPerMinute),
        'x-ratelimit-remaining-tokens': String(Math.max(0, tokensPerMinute - used)),
        'x-ratelimit-reset-tokens': reset,
      },
    };
  }
}
