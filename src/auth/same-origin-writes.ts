import type { NextFunction, Request, Response } from 'express';
import { problem } from '../platform/http/problem-details.filter';
import { SESSION_COOKIE } from '../platform/access/session-cookie';
import { readCookie, REFRESH_COOKIE } from './session.cookies';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF protection for cookie-authenticated writes. SameSite=Lax keeps the session cookie off
 * cross-*site* POSTs, but a sibling subdomain or another port of the same host is the same
 * site, and its pages could still post with our cookies. So a write that carries a session
 * cookie must come from this origin, by the browser's own word: Sec-Fetch-Site (every current
 * browser) or, failing that, Origin. Requests with neither header are not from a browser
 * page (curl, SDKs, tests) and cannot be forged cross-origin; bearer-token callers send no cookie.
 */
export function sameOriginWrites(appUrl: string | null) {
  const trusted = appUrl ? new URL(appUrl).origin : null;
  return (req: Request, res: Response, next: NextFunction): void => {
    if (SAFE_METHODS.has(req.method) || !carriesSessionCookie(req)) return next();
    if (isSameOrigin(req, trusted)) return next();
    res
      .status(403)
      .type('application/problem+json')
      .json(problem({ status: 403, code: 'cross_origin_write', detail: 'A signed-in change must come from Tollgate’s own pages.' }, req.path));
  };
}

function carriesSessionCookie(req: Request): boolean {
  return readCookie(req, SESSION_COOKIE) !== null || readCookie(req, REFRESH_COOKIE) !== null;
}

function isSameOrigin(req: Request, trusted: string | null): boolean {
  const site = req.headers['sec-fetch-site'];
  // 'none': the person typed the address or used a bookmark; nothing forged it.
  if (typeof site === 'string') return site === 'same-origin' || site === 'none';
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return true;
  if (origin === trusted) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
