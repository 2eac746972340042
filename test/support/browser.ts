/**
 * A minimal browser for end-to-end sign-in tests: fetch with manual redirects and a cookie jar
 * that honours Path, Max-Age/Expires and deletion, per host. Secure cookies are kept even over
 * http://127.0.0.1, as browsers do for localhost.
 */
export interface StoredCookie {
  name: string;
  value: string;
  path: string;
  attributes: string[];
}

export interface BrowserResponse {
  status: number;
  headers: Headers;
  location: string | null;
  setCookies: string[];
  text: string;
  /** Parsed JSON (any: the tests read bodies of many shapes and assert on them). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as said above
  body: any;
}

export class Browser {
  private readonly jar = new Map<string, Map<string, StoredCookie>>();

  constructor(private readonly defaultHeaders: Record<string, string> = {}) {}

  cookie(host: string, name: string): StoredCookie | undefined {
    return this.jar.get(host)?.get(name);
  }

  setCookie(host: string, name: string, value: string, path = '/'): void {
    this.hostJar(host).set(name, { name, value, path, attributes: [] });
  }

  deleteCookie(host: string, name: string): void {
    this.jar.get(host)?.delete(name);
  }

  get(url: string, headers: Record<string, string> = {}): Promise<BrowserResponse> {
    return this.request('GET', url, undefined, headers);
  }

  post(url: string, body?: unknown, headers: Record<string, string> = {}): Promise<BrowserResponse> {
    return this.request('POST', url, body, headers);
  }

  async request(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<BrowserResponse> {
    const target = new URL(url);
    const cookieHeader = this.cookieHeader(target);
    const res = await fetch(target, {
      method,
      redirect: 'manual',
      headers: {
        ...this.defaultHeaders,
        ...(body === undefined ? {} : { 'content-type': body instanceof URLSearchParams ? 'application/x-www-form-urlencoded' : 'application/json' }),
        ...(cookieHeader ? { cookie: cookieHeader } : {}),
        ...headers,
      },
      // A form, as an HTML page posts it, or JSON.
      body: body === undefined ? undefined : body instanceof URLSearchParams ? body.toString() : JSON.stringify(body),
    });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) this.store(target, line);
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const location = res.headers.get('location');
    return { status: res.status, headers: res.headers, location: location ? new URL(location, target).toString() : null, setCookies, text, body: parsed };
  }

  /** fetch as this browser: its cookies sent and kept, redirects not followed (for the typed client, test/support/api-client.ts). */
  async fetch(request: Request): Promise<Response> {
    const target = new URL(request.url);
    const headers = new Headers(request.headers);
    for (const [name, value] of Object.entries(this.defaultHeaders)) if (!headers.has(name)) headers.set(name, value);
    const cookieHeader = this.cookieHeader(target);
    if (cookieHeader) headers.set('cookie', cookieHeader);
    const body = request.body === null ? undefined : await request.arrayBuffer();
    const res = await fetch(target, { method: request.method, headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) this.store(target, line);
    return res;
  }

  private hostJar(host: string): Map<string, StoredCookie> {
    let jar = this.jar.get(host);
    if (!jar) this.jar.set(host, (jar = new Map()));
    return jar;
  }

  private cookieHeader(url: URL): string {
    const jar = this.jar.get(url.host);
    if (!jar) return '';
    return [...jar.values()]
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, line: string): void {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = decodeURIComponent(pair.slice(eq + 1));
    const attributes = attrs.map((a) => a.toLowerCase());
    const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
    const maxAge = attributes.find((a) => a.startsWith('max-age='));
    const expires = attrs.find((a) => a.toLowerCase().startsWith('expires='));
    const expired = (maxAge && Number(maxAge.slice(8)) <= 0) || (!maxAge && expires && Date.parse(expires.slice(8)) <= Date.now());
    if (expired) this.hostJar(url.host).delete(name);
    else this.hostJar(url.host).set(name, { name, value, path, attributes });
  }
}
