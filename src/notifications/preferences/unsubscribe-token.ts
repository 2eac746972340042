import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../../platform/errors/domain-error';
import { Secrets } from '../../platform/security/secrets';
import { isOptionalCategory, OptionalCategory } from '../mail/mail-categories';

export const UNSUBSCRIBE_PATH = '/notifications/unsubscribe';
/** Far above a real token (≈ 120 characters): anything longer is refused unread. */
export const UNSUBSCRIBE_TOKEN_MAX = 300;
const ACCOUNT_ID = /^[0-9A-Za-z_-]{1,64}$/;

export interface UnsubscribeClaims {
  accountId: string;
  category: OptionalCategory;
}

export const forgedLink = () =>
  new DomainError('forbidden', 'unsubscribe_link_invalid', 'This unsubscribe link is not valid; use the link exactly as mailed, or change your preferences at /me/notifications.');

/**
 * The signed token of a one-click unsubscribe link: it names the account and the category, and
 * is the only authority of a request that comes without a session. It does not expire: a link
 * in an old mail must still unsubscribe (RFC 8058 expects the URI to keep working). HMAC with a
 * key of its own, derived from the app secret (as the email-proof links).
 */
export class UnsubscribeTokens {
  constructor(private readonly secrets: Secrets) {}

  sign(claims: UnsubscribeClaims): string {
    const payload = Buffer.from(JSON.stringify({ a: claims.accountId, c: claims.category })).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  verify(token: unknown): UnsubscribeClaims {
    if (typeof token !== 'string' || token.length > UNSUBSCRIBE_TOKEN_MAX) throw forgedLink();
    const [payload, mac, ...rest] = token.split('.');
    if (!payload || !mac || rest.length > 0) throw forgedLink();
    const expected = Buffer.from(this.mac(payload));
    if (expected.length !== mac.length || !timingSafeEqual(expected, Buffer.from(mac))) throw forgedLink();
    let claims: { a?: unknown; c?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { a?: unknown; c?: unknown };
    } catch {
      throw forgedLink();
    }
    // Signed by us, so well formed; checked all the same (a key that leaked must not open more).
    if (typeof claims.a !== 'string' || !ACCOUNT_ID.test(claims.a) || !isOptionalCategory(claims.c)) throw forgedLink();
    return { accountId: claims.a, category: claims.c };
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.secrets.key('unsubscribe')).update(payload).digest('base64url');
  }
}
