import { parse } from 'cookie';
import type { CookieOptions, Request, Response } from 'express';
import { SESSION_COOKIE } from '../platform/access/session-cookie';
import { IssuedSession } from './sessions.service';

/**
 * The only cookies Tollgate sets (policy P19): the access JWT for every dashboard route, and
 * the refresh token, sent only to /auth. HttpOnly (no script reads them), Secure (TLS only;
 * browsers also accept them on http://localhost), SameSite=Lax (not sent on cross-site
 * POSTs, which is what protects the dashboard's state-changing routes from CSRF).
 */
export const REFRESH_COOKIE = 'tg_refresh';
const REFRESH_COOKIE_PATH = '/auth';
/** Cookie headers longer than this are not parsed (a JWT here is well under 1 KB). */
const COOKIE_HEADER_MAX = 8_192;

const base: CookieOptions = { httpOnly: true, secure: true, sameSite: 'lax' };

export function setSessionCookies(res: Response, session: IssuedSession, accessTtlSeconds: number): void {
  res.cookie(SESSION_COOKIE, session.accessToken, { ...base, path: '/', maxAge: accessTtlSeconds * 1000 });
  res.cookie(REFRESH_COOKIE, session.refreshToken, { ...base, path: REFRESH_COOKIE_PATH, maxAge: session.refreshTokenMaxAgeSeconds * 1000 });
  res.setHeader('Cache-Control', 'no-store'); // the body carries the access token too
}

export function clearSessionCookies(res: Response): void {
  res.clearCookie(SESSION_COOKIE, { ...base, path: '/' });
  res.clearCookie(REFRESH_COOKIE, { ...base, path: REFRESH_COOKIE_PATH });
}

/** Parsed on demand by the auth code only: no cookie middleware runs on the /v1 hot path. */
export function readCookie(req: Request, name: string): string | null {
  const header = req.headers.cookie;
  if (!header || header.length > COOKIE_HEADER_MAX) return null;
  return parse(header)[name] ?? null;
}

export function bearerToken(req: Request): string | null {
  const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,4096})$/.exec(req.headers.authorization ?? '');
  return match ? match[1] : null;
}
