import type { Response } from 'express';
import { AppConfig } from '../platform/config/config';
import { setSessionCookies } from './session.cookies';
import { IssuedSession } from './sessions.service';
import { SessionResponse } from './auth.schemas';

/** Sets both cookies and answers with the access token (never the refresh token: cookie only). */
export function sendSession(res: Response, session: IssuedSession, config: AppConfig, created?: boolean): SessionResponse {
  setSessionCookies(res, session, config.sessionAccessTtlSeconds);
  return {
    accountId: session.accountId,
    accessToken: session.accessToken,
    accessTokenExpiresAt: session.accessTokenExpiresAt,
    ...(created === undefined ? {} : { created }),
    ...(session.eligibilityPending ? { eligibilityPending: true } : {}),
  };
}
