import { createHmac, hkdfSync } from 'node:crypto';

export type SecretPurpose =
  | 'api-key-hash'
  | 'identity-hash'
  | 'session-jwt'
  | 'refresh-token'
  // The public id of a session in the sessions list (its sid is half of the refresh token, never shown).
  | 'session-ref'
  | 'sign-in-throttle'
  // GPU nodes: node tokens and provider invites are stored hashed; the gateway→agent secret is derived, never stored.
  | 'node-token'
  | 'node-proxy'
  | 'provider-invite'
  // The instance-to-instance relay hop to a tunnelled node (unless TUNNEL_RELAY_SECRET is set).
  | 'tunnel-relay'
  // The signed link of a password sign-up (email proof), and of an email change.
  | 'email-proof'
  | 'email-change-proof'
  // The one-click unsubscribe link of an optional mail (account + category).
  | 'unsubscribe'
  // Upstream API vendors' keys, sealed at rest (AES-256-GCM; src/platform/security/sealing.ts).
  | 'upstream-key-seal';

/** One master secret, one independent key per purpose (HKDF-SHA-256), so no key serves two uses. */
export class Secrets {
  private readonly keys = new Map<SecretPurpose, Buffer>();

  constructor(private readonly appSecret: string) {}

  key(purpose: SecretPurpose): Buffer {
    let key = this.keys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.appSecret, 'tollgate', purpose, 32));
      this.keys.set(purpose, key);
    }
    return key;
  }

  /** Keyed hash (HMAC-SHA-256, hex): what is stored instead of a secret or an identifier. */
  hash(purpose: SecretPurpose, value: string): string {
    return createHmac('sha256', this.key(purpose)).update(value).digest('hex');
  }
}

export const SECRETS = Symbol('Secrets');
