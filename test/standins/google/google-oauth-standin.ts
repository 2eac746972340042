import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A stand-in for Google's OAuth 2.0 / OpenID Connect endpoints, speaking the real protocol
 * (RFC 6749 authorization-code grant, RFC 7636 PKCE, OIDC userinfo), because Google cannot run
 * here. It plays both the user's Google session (whoever `signInAs` names consents) and Google's
 * servers:
 *   GET  /o/oauth2/v2/auth  checks client_id and the registered redirect_uri, then redirects back
 *                           with `code` and the caller's `state` (or `error=access_denied`)
 *   POST /token             form-encoded; client auth by client_secret_post or HTTP Basic;
 *                           one-time codes bound to client, redirect_uri and the PKCE challenge
 *   GET  /v1/userinfo       Bearer access token → sub, email, email_verified, name, picture
 */
export interface GoogleUser {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
  picture: string;
}

interface IssuedCode {
  user: GoogleUser;
  clientId: string;
  redirectUri: string;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  expiresAtMs: number;
}

export interface StandinLog {
  authorizations: Record<string, string>[];
  tokenRequests: { form: Record<string, string>; basicAuth: boolean }[];
  userinfoRequests: { viaHeader: boolean }[];
}

const BODY_MAX_BYTES = 16 * 1024;
const CODE_TTL_MS = 60_000;

export class GoogleOAuthStandin {
  readonly clientId = `standin-client-${randomBytes(4).toString('hex')}.apps.googleusercontent.com`;
  readonly clientSecret = `GOCSPX-${randomBytes(12).toString('base64url')}`;
  /** The secret the console currently accepts; change it to play a rotated or deleted secret. */
  acceptedClientSecret = this.clientSecret;
  readonly log: StandinLog = { authorizations: [], tokenRequests: [], userinfoRequests: [] };
  private readonly codes = new Map<string, IssuedCode>();
  private readonly tokens = new Map<string, GoogleUser>();
  private readonly redirectUris = new Set<string>();
  private user: GoogleUser | null = null;
  private server: Server | null = null;
  private baseUrl = '';

  get authUrl(): string {
    return `${this.baseUrl}/o/oauth2/v2/auth`;
  }
  get tokenUrl(): string {
    return `${this.baseUrl}/token`;
  }
  get userInfoUrl(): string {
    return `${this.baseUrl}/v1/userinfo`;
  }

  /** Like adding an "Authorised redirect URI" in the Google Cloud console. */
  registerRedirectUri(uri: string): void {
    this.redirectUris.add(uri);
  }

  /** The Google account signed in to the browser and consenting; null = the user clicks "Cancel". */
  signInAs(user: GoogleUser | null): void {
    this.user = user;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => json(res, 500, { error: 'server_error' }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    if (req.method === 'GET' && url.pathname === '/o/oauth2/v2/auth') return this.authorize(url, res);
    if (req.method === 'POST' && url.pathname === '/token') return this.token(req, res);
    if (req.method === 'GET' && url.pathname === '/v1/userinfo') return this.userinfo(req, url, res);
    json(res, 404, { error: 'not_found' });
  }

  private authorize(url: URL, res: ServerResponse): void {
    const q = Object.fromEntries(url.searchParams);
    this.log.authorizations.push(q);
    // Errors about the client or redirect URI are shown to the user, never redirected (RFC 6749 §4.1.2.1).
    if (q.client_id !== this.clientId) return json(res, 400, { error: 'invalid_client' });
    if (!q.redirect_uri || !this.redirectUris.has(q.redirect_uri)) return json(res, 400, { error: 'redirect_uri_mismatch' });
    const back = new URL(q.redirect_uri);
    if (q.state !== undefined) back.searchParams.set('state', q.state);
    if (q.response_type !== 'code') back.searchParams.set('error', 'unsupported_response_type');
    else if (!this.user) back.searchParams.set('error', 'access_denied');
    else if (q.code_challenge_method && q.code_challenge_method !== 'S256' && q.code_challenge_method !== 'plain') back.searchParams.set('error', 'invalid_request');
    else {
      const code = `4/${randomBytes(24).toString('base64url')}`;
      this.codes.set(code, {
        user: this.user,
        clientId: q.client_id,
        redirectUri: q.redirect_uri,
        codeChallenge: q.code_challenge ?? null,
        codeChallengeMethod: q.code_challenge_method ?? null,
        expiresAtMs: Date.now() + CODE_TTL_MS,
      });
      back.searchParams.set('code', code);
      back.searchParams.set('scope', q.scope ?? '');
    }
    res.writeHead(302, { location: back.toString() }).end();
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return json(res, 400, { error: 'invalid_request' });
    const form = Object.fromEntries(new URLSearchParams(await readBody(req)));
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    this.log.tokenRequests.push({ form, basicAuth: Boolean(basic) });
    let clientId = form.client_id;
    let clientSecret = form.client_secret;
    if (basic) [clientId, clientSecret] = Buffer.from(basic[1], 'base64').toString().split(':').map(decodeURIComponent);
    if (clientId !== this.clientId || !clientSecret || !same(clientSecret, this.acceptedClientSecret))
      return json(res, 401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' });
    if (form.grant_type !== 'authorization_code') return json(res, 400, { error: 'unsupported_grant_type' });
    const issued = this.codes.get(form.code ?? '');
    this.codes.delete(form.code ?? ''); // one use, whatever the outcome
    if (!issued || issued.expiresAtMs < Date.now() || issued.clientId !== clientId || issued.redirectUri !== form.redirect_uri) {
      return json(res, 400, { error: 'invalid_grant', error_description: 'Bad Request' });
    }
    if (issued.codeChallenge !== null) {
      const verifier = form.code_verifier ?? '';
      const computed = issued.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (!verifier || computed !== issued.codeChallenge) return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid code verifier.' });
    }
    const accessToken = `ya29.${randomBytes(32).toString('base64url')}`;
    this.tokens.set(accessToken, issued.user);
    json(res, 200, {
      access_token: accessToken,
      expires_in: 3599,
      token_type: 'Bearer',
      scope: 'openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile',
    });
  }

  private userinfo(req: IncomingMessage, url: URL, res: ServerResponse): void {
    const header = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    this.log.userinfoRequests.push({ viaHeader: Boolean(header) });
    const token = header?.[1] ?? url.searchParams.get('access_token'); // Google accepts both
    const user = token ? this.tokens.get(token) : undefined;
    if (!user) {
      res.setHeader('www-authenticate', 'Bearer realm="https://accounts.google.com/", error="invalid_token"');
      return json(res, 401, { error: 'invalid_request', error_description: 'Invalid Credentials' });
    }
    json(res, 200, { sub: user.sub, name: user.name, picture: user.picture, email: user.email, email_verified: user.email_verified });
  }
}

function json(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_MAX_BYTES) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
