import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../../src/platform/personal-data/personal-data.vault';
import { Browser } from '../support/browser';
import { sharedSmtpSink } from '../support/smtp-sink';
import { AuthTestApp, newBrowser, register, signUp, startAuthApp } from './auth-app';
import { AGREED } from '../support/eligibility';

const PASSWORD = 'correct horse battery staple';

describe('email + password sign-in, sessions, refresh and logout', () => {
  let t: AuthTestApp;

  beforeAll(async () => {
    t = await startAuthApp('auth_password');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('registers once the mailed link is followed, sets the session cookies and serves /me', async () => {
    const browser = newBrowser();
    const res = await signUp(browser, t.url, { email: 'Ada@Example.com', password: PASSWORD, displayName: 'Ada' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ accountId: expect.any(String), accessToken: expect.any(String), accessTokenExpiresAt: expect.any(String), created: true });
    expect(res.headers.get('cache-control')).toBe('no-store');
    // The cookies' names and attributes: test/policy/p19-signin-cookies-only.policy.spec.ts.
    expect(res.text).not.toContain(browser.cookie(t.host, 'tg_refresh')!.value); // the refresh token is a cookie only

    const me = await browser.get(`${t.url}/me`);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      accountId: res.body.accountId,
      email: 'ada@example.com',
      displayName: 'Ada',
      roles: ['developer'],
      status: 'active',
      registeredVia: 'password',
    });
    // The same access token works as a Bearer token, without cookies.
    const bearer = await new Browser().get(`${t.url}/me`, { authorization: `Bearer ${res.body.accessToken}` });
    expect(bearer.status).toBe(200);
  });

  it('validates register bodies: types, lengths, unknown fields → 400 problem details; a taken email gets the same 202 (its owner is mailed)', async () => {
    const browser = newBrowser();
    const cases: unknown[] = [
      {},
      { email: 'x@example.com' },
      { email: 42, password: PASSWORD },
      { email: `${'a'.repeat(400)}@example.com`, password: PASSWORD },
      { email: 'x@example.com', password: 'a'.repeat(300) },
      { email: 'x@example.com', password: PASSWORD, admin: true },
      { email: 'x@example.com', password: PASSWORD, displayName: 'n'.repeat(101) },
      [],
    ];
    for (const body of cases) {
      const res = await browser.post(`${t.url}/auth/register`, body);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 400, code: 'invalid_body' });
    }
    const short = await browser.post(`${t.url}/auth/register`, { email: 'x@example.com', password: 'short', ...AGREED });
    expect(short.body).toMatchObject({ status: 400, code: 'invalid_password' });
    await register(browser, t.url, 'taken@example.com');
    const taken = await browser.post(`${t.url}/auth/register`, { email: 'TAKEN@example.com', password: PASSWORD, ...AGREED });
    const fresh = await browser.post(`${t.url}/auth/register`, { email: 'fresh@example.com', password: PASSWORD, ...AGREED });
    expect([taken.status, taken.body]).toEqual([fresh.status, fresh.body]);
    expect(taken.status).toBe(202);
    const notice = await (await sharedSmtpSink()).waitFor((m) => m.to.includes('taken@example.com') && m.notificationId.startsWith('sign-up-exists-'));
    expect(notice.subject).toBe('You already have a Tollgate account');
  });

  it('signs in with the right password only, the same 401 for a wrong password and an unknown email, and records SignedIn sealed', async () => {
    const accountId = await register(newBrowser(), t.url, 'grace@example.com');
    const browser = newBrowser('GraceBrowser/2.0');
    const wrong = await browser.post(`${t.url}/auth/login`, { email: 'grace@example.com', password: 'not the password' });
    const unknown = await browser.post(`${t.url}/auth/login`, { email: 'nobody@example.com', password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect({ ...wrong.body, instance: null }).toEqual({ ...unknown.body, instance: null });
    expect(wrong.body.code).toBe('invalid_credentials');
    expect((await browser.post(`${t.url}/auth/login`, { email: 'grace@example.com' })).status).toBe(400);

    const ok = await browser.post(`${t.url}/auth/login`, { email: 'GRACE@example.com', password: PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.body.accountId).toBe(accountId);

    const events = await t.app.get<EventStore>(EVENT_STORE).readStream(`signins-${accountId}`);
    expect(events.map((e) => e.type)).toEqual(['SignedIn', 'SignedIn']); // register, then login
    const last = events[1];
    expect(last.data).toEqual({ method: 'password', ip: expect.stringMatching(/^pd1\./), userAgent: expect.stringMatching(/^pd1\./), signedInAt: expect.any(String) });
    expect(last.metadata).toMatchObject({ actorId: accountId });
    const stored = JSON.stringify({ data: last.data, metadata: last.metadata });
    expect(stored).not.toContain('GraceBrowser');
    expect(stored).not.toContain('198.51.100.');
    // Sealed with the person's key: readable only through the vault, and only until it is shredded.
    const vault = t.app.get<PersonalDataVault>(PERSONAL_DATA_VAULT);
    expect(await vault.open(accountId, last.data.userAgent as string)).toBe('GraceBrowser/2.0');
    expect(await vault.open(accountId, last.data.ip as string)).toMatch(/^198\.51\.100\.\d+$/);
  });

  it('logs out: the same access token is refused at once, and so is the refresh token', async () => {
    const browser = newBrowser();
    await register(browser, t.url, 'logout@example.com');
    const token = browser.cookie(t.host, 'tg_session')!.value;
    const refreshToken = browser.cookie(t.host, 'tg_refresh')!.value;
    expect((await browser.get(`${t.url}/me`)).status).toBe(200);

    const out = await browser.post(`${t.url}/auth/logout`);
    expect(out.status).toBe(204);
    expect(browser.cookie(t.host, 'tg_session')).toBeUndefined(); // cleared

    const replay = await new Browser().get(`${t.url}/me`, { authorization: `Bearer ${token}` });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('session_ended');
    const refresh = await new Browser().post(`${t.url}/auth/refresh`, undefined, { cookie: `tg_refresh=${refreshToken}` });
    expect(refresh.status).toBe(401);
    expect((await browser.post(`${t.url}/auth/logout`)).status).toBe(204); // twice is fine
    expect((await new Browser().get(`${t.url}/me`)).body.code).toBe('session_required');
  });

  it('rotates the refresh token; replaying a rotated one ends the whole session', async () => {
    const browser = newBrowser();
    await register(browser, t.url, 'rotate@example.com');
    const first = browser.cookie(t.host, 'tg_refresh')!.value;

    const refreshed = await browser.post(`${t.url}/auth/refresh`);
    expect(refreshed.status).toBe(200);
    const second = browser.cookie(t.host, 'tg_refresh')!.value;
    expect(second).not.toBe(first);
    const newAccess = refreshed.body.accessToken as string;
    expect((await new Browser().get(`${t.url}/me`, { authorization: `Bearer ${newAccess}` })).status).toBe(200);

    // An attacker (or a stale tab) replays the first token: the session ends for everyone.
    const reuse = await new Browser().post(`${t.url}/auth/refresh`, undefined, { cookie: `tg_refresh=${first}` });
    expect(reuse.status).toBe(401);
    expect(reuse.body.code).toBe('refresh_token_reused');
    expect((await browser.post(`${t.url}/auth/refresh`)).status).toBe(401); // the current token is dead too
    const me = await new Browser().get(`${t.url}/me`, { authorization: `Bearer ${newAccess}` });
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('session_ended');

    expect((await new Browser().post(`${t.url}/auth/refresh`)).body.code).toBe('refresh_token_invalid');
    expect((await new Browser().post(`${t.url}/auth/refresh`, undefined, { cookie: 'tg_refresh=garbage' })).status).toBe(401);
  });

  it('refuses a forged or tampered access token', async () => {
    const browser = newBrowser();
    await register(browser, t.url, 'forged@example.com');
    const token = browser.cookie(t.host, 'tg_session')!.value;
    const [header, payload] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url')}.${token.split('.')[2]}`;
    expect((await new Browser().get(`${t.url}/me`, { authorization: `Bearer ${tampered}` })).status).toBe(401);
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    expect((await new Browser().get(`${t.url}/me`, { authorization: `Bearer ${none}` })).status).toBe(401);
  });

  it('throttles failed sign-ins per account: 429 with Retry-After, even for the right password', async () => {
    await register(newBrowser(), t.url, 'victim@example.com');
    for (let i = 0; i < t.config.loginMaxFailuresPerAccount; i++) {
      // Each failure from a different IP: only the per-account counter reaches its limit.
      expect((await newBrowser().post(`${t.url}/auth/login`, { email: 'victim@example.com', password: `wrong password ${i}` })).status).toBe(401);
    }
    const blocked = await newBrowser().post(`${t.url}/auth/login`, { email: 'victim@example.com', password: PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatchObject({ status: 429, code: 'too_many_sign_in_attempts' });
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(t.config.loginFailureWindowSeconds);
  });

  it('throttles failed sign-ins per IP across accounts', async () => {
    const attacker = newBrowser();
    for (let i = 0; i < t.config.loginMaxFailuresPerIp; i++) {
      expect((await attacker.post(`${t.url}/auth/login`, { email: `spray${i}@example.com`, password: 'password123!' })).status).toBe(401);
    }
    const blocked = await attacker.post(`${t.url}/auth/login`, { email: 'someone-else@example.com', password: 'password123!' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another IP is not affected.
    expect((await newBrowser().post(`${t.url}/auth/login`, { email: 'someone-else@example.com', password: 'password123!' })).status).toBe(401);
  }, 90_000);

  it('has Google and Telegram sign-in switched off when not configured (404)', async () => {
    expect((await newBrowser().get(`${t.url}/auth/google`)).status).toBe(404);
    expect((await newBrowser().get(`${t.url}/auth/google/callback?code=x&state=y`)).status).toBe(404);
    expect((await newBrowser().post(`${t.url}/auth/telegram`, { id: 1 })).status).toBe(404);
  });

  it('documents the sign-in and account routes in OpenAPI', async () => {
    const spec = await newBrowser().get(`${t.url}/docs/openapi.json`);
    expect(Object.keys(spec.body.paths)).toEqual(
      expect.arrayContaining([
        '/auth/register',
        '/auth/login',
        '/auth/refresh',
        '/auth/logout',
        '/me',
        '/me/password',
        '/me/deletion-request',
        '/me/keys',
        '/me/keys/{id}/revoke',
        '/me/keys/{id}/rotate',
        '/admin/accounts/{id}',
        '/admin/accounts/{id}/roles',
        '/admin/accounts/{id}/roles/{role}',
        '/admin/accounts/{id}/suspend',
        '/admin/accounts/{id}/reinstate',
        '/admin/accounts/{id}/keys/{keyId}/revoke',
      ]),
    );
    expect(Object.keys(spec.body.paths)).not.toContain('/auth/google');
  });
});
