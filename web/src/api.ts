/**
 * A small hand-written typed fetch wrapper over the dashboard routes (a client generated from
 * the OpenAPI schemas is another issue). Same origin: the HttpOnly session cookie is the only
 * credential; an expired access token is renewed once through /auth/refresh, then the call is
 * retried. Errors carry the problem details' `detail`, written for people.
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

async function toError(res: Response): Promise<ApiError> {
  let code = 'http_' + res.status;
  let detail: string | undefined;
  try {
    const body = await res.json();
    code = body.code ?? body.error?.code ?? code;
    detail = body.detail ?? body.error?.message;
  } catch {
    // not JSON: fall back to words for the status
  }
  return new ApiError(res.status, code, detail ?? FRIENDLY[res.status] ?? `Request failed (${res.status}).`);
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

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res = await send(method, path, body);
  if (res.status === 401 && !path.startsWith('/auth/')) {
    if (await refreshSession()) res = await send(method, path, body);
    if (res.status === 401) onSignedOut();
  }
  if (!res.ok) throw await toError(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {});
export const del = <T>(path: string) => request<T>('DELETE', path);

/** Query string from defined values only. */
export function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
