import createClient from 'openapi-fetch';
import type { paths } from './api/openapi';

/**
 * The console's client of the API. `api` is typed from the OpenAPI document (`npm run openapi`
 * generates ./api/openapi.d.ts from the routes' zod schemas before every build and type check),
 * so a route change that breaks a page fails `npm run typecheck:web`. Same origin: the HttpOnly
 * session cookie is the only credential; an expired access token is renewed once through
 * /auth/refresh, then the call is retried. Errors carry the problem details' `detail`, written
 * for people.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const FRIENDLY: Record<number, string> = {
  401: 'You are signed out. Sign in again.',
  403: 'Your account is not allowed to do this.',
  404: 'Not found.',
  429: 'Too many attempts. Wait a minute and try again.',
  500: 'Something went wrong on our side. Try again shortly.',
  502: 'The service is unreachable right now. Try again shortly.',
  503: 'The service is unavailable right now. Try again shortly.',
};

/** Problem details (or OpenAI's error shape under /v1) in words; a status alone when the body says nothing. */
function errorOf(status: number, body: unknown): ApiError {
  const b = (body ?? {}) as { code?: string; detail?: string; error?: { code?: string; message?: string } };
  return new ApiError(status, b.code ?? b.error?.code ?? `http_${status}`, b.detail ?? b.error?.message ?? FRIENDLY[status] ?? `Request failed (${status}).`);
}

let refreshing: Promise<boolean> | null = null;
/** One refresh at a time, however many calls found the token expired. */
function refreshSession(): Promise<boolean> {
  refreshing ??= fetch('/auth/refresh', { method: 'POST', credentials: 'same-origin' })
    .then((r) => r.ok)
    .catch(() => false)
    .finally(() => setTimeout(() => (refreshing = null), 0));
  return refreshing;
}

let onSignedOut: () => void = () => {};
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

/** fetch with the session's renewal: one refresh and one retry on a 401 outside /auth/. */
async function sessionFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  let res = await fetch(request);
  if (res.status === 401 && !new URL(request.url).pathname.startsWith('/auth/')) {
    if (await refreshSession()) res = await fetch(retry);
    if (res.status === 401) onSignedOut();
  }
  return res;
}

export const api = createClient<paths>({ baseUrl: location.origin, credentials: 'same-origin', headers: { accept: 'application/json' }, fetch: sessionFetch });

/** The answer of an `api` call, or its error in words (ApiError). */
export async function answer<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw errorOf(response.status, error);
  return data as T;
}

/** Query string from defined values only. */
export function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
