import { Inject, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { Role } from '../platform/access/roles';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { SECRETS, Secrets } from '../platform/security/secrets';

export const ACCESS_TOKEN_ISSUER = 'tollgate';
export const ACCESS_TOKEN_AUDIENCE = 'tollgate-dashboard';
export const ACCESS_TOKEN_ALGORITHM = 'HS256';

export interface AccessTokenClaims {
  sub: string;
  sid: string;
  /** A hint for the dashboard's UI only: guards read the current roles, not these. */
  roles?: Role[];
}

/** Short-lived HS256 JWTs, signed with the key derived for 'session-jwt' and nothing else. */
@Injectable()
export class AccessTokens {
  constructor(
    @Inject(SECRETS) private readonly secrets: Secrets,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get key(): Buffer {
    return this.secrets.key('session-jwt');
  }

  sign(accountId: string, sessionId: string, roles: Role[]): { token: string; expiresAt: string } {
    const ttlSeconds = this.config.sessionAccessTtlSeconds;
    const token = jwt.sign({ sid: sessionId, roles }, this.key, {
      algorithm: ACCESS_TOKEN_ALGORITHM,
      subject: accountId,
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      expiresIn: ttlSeconds,
    });
    return { token, expiresAt: new Date(Date.now() + ttlSeconds * 1000).toISOString() };
  }

  /** The claims of a valid, unexpired token, else null (logout accepts whatever it is given). */
  verify(token: string): AccessTokenClaims | null {
    try {
      const claims = jwt.verify(token, this.key, { algorithms: [ACCESS_TOKEN_ALGORITHM], issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE });
      return parseClaims(claims);
    } catch {
      return null;
    }
  }
}

/** The token's signature is ours, but its shape is still checked before use. */
export function parseClaims(claims: unknown): AccessTokenClaims | null {
  const c = claims as { sub?: unknown; sid?: unknown };
  if (typeof c !== 'object' || c === null || typeof c.sub !== 'string' || typeof c.sid !== 'string') return null;
  return { sub: c.sub, sid: c.sid };
}
