import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { SECRETS, Secrets } from '../platform/security/secrets';
import { ACCESS_TOKEN_ALGORITHM, ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from './access-tokens';
import { SessionPrincipal } from '../platform/access/principal';
import { SESSION_STRATEGY } from '../platform/access/session.guard';
import { SESSION_COOKIE } from '../platform/access/session-cookie';
import { readCookie } from './session.cookies';
import { SessionsService } from './sessions.service';

/**
 * The access JWT from `Authorization: Bearer` or the `tg_session` cookie. passport-jwt checks
 * signature, algorithm, issuer, audience and expiry; validate() then checks that the session
 * was not ended and loads the account's current roles and status.
 */
@Injectable()
export class SessionStrategy extends PassportStrategy(JwtStrategy, SESSION_STRATEGY) {
  constructor(
    @Inject(SECRETS) secrets: Secrets,
    private readonly sessions: SessionsService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromExtractors([ExtractJwt.fromAuthHeaderAsBearerToken(), (req: Request) => readCookie(req, SESSION_COOKIE)]),
      secretOrKey: secrets.key('session-jwt'),
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
    });
  }

  validate(claims: unknown): Promise<SessionPrincipal> {
    return this.sessions.authenticate(claims);
  }
}
