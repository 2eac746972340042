import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { AppConfig } from '../../platform/config/config';
import { DomainError } from '../../platform/errors/domain-error';
import { SignedLinks } from './signed-link';

/**
 * What sign-up and email change share (one flow, two uses): at most `mail.signUpMailsPerAddressPerHour`
 * mails an hour to one address (counted under the address's keyed hash, never the address in clear),
 * a nonce, what the link will confirm waiting in Redis under it for `mail.signUpLinkTtlMs`, and the
 * signed link; following the link takes that record once.
 *   {prefix}{kind}-mails:{hash}   mails sent to the address this hour
 *   {prefix}{kind}:{nonce}        what waits for the link (single use: GETDEL)
 */
export class ProofLinks {
  constructor(
    private readonly links: SignedLinks,
    private readonly redis: Redis,
    private readonly config: AppConfig,
    private readonly kind: 'sign-up' | 'email-change',
    private readonly addressHash: (email: string) => string,
    private readonly tooMany: () => DomainError,
  ) {}

  /** Counts one more mail to the address; throws `tooMany` past the hourly limit. Answers a fresh nonce. */
  async countMail(email: string): Promise<string> {
    const counter = `${this.config.redisKeyPrefix}${this.kind}-mails:${this.addressHash(email)}`;
    const sent = await this.redis.multi().incr(counter).expire(counter, 3_600, 'NX').exec();
    if (Number(sent?.[0]?.[1] ?? 0) > this.config.mail.signUpMailsPerAddressPerHour) throw this.tooMany();
    return randomBytes(16).toString('base64url');
  }

  /** Stores `pending` under the nonce and signs the link to `path`: its URL and lifetime in whole hours, for the mail. */
  async issue(nonce: string, email: string, pending: string, path: string): Promise<{ link: string; expiresInHours: number }> {
    const ttlMs = this.config.mail.signUpLinkTtlMs;
    await this.redis.set(this.pendingKey(nonce), pending, 'PX', ttlMs);
    const token = this.links.sign({ email, nonce, expiresAt: Date.now() + ttlMs });
    return { link: `${this.config.publicUrl}${path}?token=${token}`, expiresInHours: Math.round(ttlMs / 3_600_000) };
  }

  /** The link followed: the proven address and what waited for it, or `pending: null` when the link was already used. */
  async redeem(token: string): Promise<{ email: string; pending: string | null }> {
    const claims = this.links.verify(token);
    return { email: claims.email, pending: await this.redis.getdel(this.pendingKey(claims.nonce)) };
  }

  private pendingKey(nonce: string): string {
    return `${this.config.redisKeyPrefix}${this.kind}:${nonce}`;
  }
}
