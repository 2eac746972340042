import { createHmac, timingSafeEqual } from 'node:crypto';
import { invalid } from '../../platform/errors/domain-error';
import { SecretPurpose, Secrets } from '../../platform/security/secrets';

/** What a mailed proof link carries, signed: the address, the nonce of its pending record, when it stops working. */
export interface LinkClaims {
  email: string;
  nonce: string;
  expiresAt: number;
}

const NONCE = /^[A-Za-z0-9_-]{22}$/;

/**
 * Mailed proof links (sign-up, email change): `payload.mac`, HMAC-SHA256 under a key of their own
 * purpose, so a link of one kind is never accepted as the other. The link proves who could read
 * the mail; what it confirms waits in Redis under its nonce (single use).
 */
export class SignedLinks {
  constructor(
    private readonly secrets: Secrets,
    private readonly purpose: SecretPurpose,
    /** In errors: the code prefix (`{code}_link_invalid`, `_expired`), what the link is, how to get a new one. */
    private readonly words: { code: string; link: string; renew: string },
  ) {}

  sign(claims: LinkClaims): string {
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** The claims of an authentic, unexpired link, or a clear error. */
  verify(token: string, now = Date.now()): LinkClaims {
    const forged = () => invalid(`${this.words.code}_link_invalid`, `This ${this.words.link} is not valid; use the link exactly as mailed.`);
    const [payload, mac, ...rest] = token.split('.');
    if (!payload || !mac || rest.length > 0) throw forged();
    const expected = Buffer.from(this.mac(payload));
    if (expected.length !== mac.length || !timingSafeEqual(expected, Buffer.from(mac))) throw forged();
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as LinkClaims;
    if (typeof claims.email !== 'string' || !NONCE.test(claims.nonce) || !Number.isSafeInteger(claims.expiresAt)) throw forged();
    if (claims.expiresAt < now) throw invalid(`${this.words.code}_link_expired`, `This ${this.words.link} has expired; ${this.words.renew}`);
    return claims;
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.secrets.key(this.purpose)).update(payload).digest('base64url');
  }
}
