import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import Redis from 'ioredis';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { REDIS } from '../platform/redis/redis.module';
import { readCookie } from './session.cookies';

/**
 * OAuth `state` (CSRF) and PKCE without server-side sessions. Starting a sign-in sets a random
 * state in a short-lived HttpOnly cookie scoped to /auth/google and keeps the PKCE verifier in
 * Redis under the state's hash. The callback must bring the same state in its query AND its
 * cookie (so a code obtained by someone else cannot be injected into this browser), and each
 * state works once. passport-oauth2 calls store/verify with these exact arities.
 */
export const OAUTH_STATE_COOKIE = 'tg_oauth_state';
const STATE_COOKIE_PATH = '/auth/google';
export const OAUTH_STATE_TTL_SECONDS = 10 * 60;
const KEY_PREFIX = 'tollgate:oauth-state:google:';

type StoreCallback = (err: Error | null, state?: string) => void;
/** `ok` is the PKCE verifier on success, false on failure (passport-oauth2's PKCE contract). */
type VerifyCallback = (err: Error | null, ok: string | false, info?: { message: string }) => void;

const stateKey = (state: string) => KEY_PREFIX + createHash('sha256').update(state).digest('hex');

@Injectable()
export class GoogleStateStore {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  store(req: Request, verifier: string, _state: unknown, _meta: unknown, callback: StoreCallback): void {
    const state = randomBytes(24).toString('base64url');
    this.redis.set(stateKey(state), verifier, 'EX', OAUTH_STATE_TTL_SECONDS).then(
      () => {
        req.res?.cookie(OAUTH_STATE_COOKIE, state, { httpOnly: true, secure: true, sameSite: 'lax', path: STATE_COOKIE_PATH, maxAge: OAUTH_STATE_TTL_SECONDS * 1000 });
        callback(null, state);
      },
      (err: Error) => callback(err),
    );
  }

  verify(req: Request, providedState: unknown, callback: VerifyCallback): void {
    const fromCookie = readCookie(req, OAUTH_STATE_COOKIE);
    req.res?.clearCookie(OAUTH_STATE_COOKIE, { httpOnly: true, secure: true, sameSite: 'lax', path: STATE_COOKIE_PATH });
    if (typeof providedState !== 'string' || !fromCookie || !sameString(providedState, fromCookie)) {
      callback(null, false, { message: 'state mismatch' });
      return;
    }
    this.redis.getdel(stateKey(providedState)).then(
      (verifier) => (verifier ? callback(null, verifier) : callback(null, false, { message: 'state expired or used' })),
      (err: Error) => callback(err, false),
    );
  }
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
