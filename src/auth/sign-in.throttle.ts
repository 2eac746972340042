import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { DomainError } from '../platform/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { REDIS } from '../platform/redis/redis.module';
import { SECRETS, Secrets } from '../platform/security/secrets';

/**
 * Failed password attempts, counted in fixed windows per subject (an account's email, or an
 * account when re-checking its password) and per client IP. Keys hold keyed hashes only: an
 * email or IP never appears in Redis in clear. While either counter is at its limit, every
 * attempt is refused with 429 before the password is even checked.
 * A known trade-off: anyone can lock an account's password sign-in for one window by failing
 * on purpose; Google and Telegram sign-in stay open, and the per-IP limit bounds guessing.
 */
const PREFIX = 'tollgate:signin-failures:';

/**
 * INCR the key, starting its window on the first failure (atomic: no counter without a TTL).
 * One key a call: the subject's and the IP's counters are in different Redis Cluster slots.
 */
const RECORD_FAILURE_SCRIPT = `
if redis.call('INCR', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return 1
`;

export interface ThrottleKeys {
  subject: string;
  ip: string | null;
}

@Injectable()
export class SignInThrottle {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SECRETS) private readonly secrets: Secrets,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  keys(subject: string, ip: string | null): ThrottleKeys {
    return {
      subject: `${PREFIX}subject:${this.secrets.hash('sign-in-throttle', subject)}`,
      ip: ip === null ? null : `${PREFIX}ip:${this.secrets.hash('sign-in-throttle', `ip:${ip}`)}`,
    };
  }

  async assertAllowed(keys: ThrottleKeys): Promise<void> {
    const checks: [string, number][] = [[keys.subject, this.config.loginMaxFailuresPerAccount]];
    if (keys.ip) checks.push([keys.ip, this.config.loginMaxFailuresPerIp]);
    // Each counter's count and TTL together; the counters themselves need not be read at one instant.
    const replies = await Promise.all(checks.map(([key]) => this.redis.multi().get(key).ttl(key).exec()));
    let retryAfterSeconds = 0;
    checks.forEach(([, limit], i) => {
      const count = Number(replies[i]?.[0]?.[1] ?? 0);
      const ttl = Number(replies[i]?.[1]?.[1] ?? -1);
      if (count >= limit) retryAfterSeconds = Math.max(retryAfterSeconds, ttl > 0 ? ttl : this.config.loginFailureWindowSeconds);
    });
    if (retryAfterSeconds > 0) {
      throw new DomainError('rate_limited', 'too_many_sign_in_attempts', 'Too many failed sign-in attempts; try again later.', retryAfterSeconds);
    }
  }

  async recordFailure(keys: ThrottleKeys): Promise<void> {
    const list = keys.ip ? [keys.subject, keys.ip] : [keys.subject];
    await Promise.all(list.map((key) => this.redis.eval(RECORD_FAILURE_SCRIPT, 1, key, this.config.loginFailureWindowSeconds)));
  }

  /** A correct password clears the subject's count (not the IP's: one success must not reset guessing elsewhere). */
  async recordSuccess(keys: ThrottleKeys): Promise<void> {
    await this.redis.del(keys.subject);
  }
}
