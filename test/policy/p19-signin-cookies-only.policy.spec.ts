import { AuthTestApp, newBrowser, signUp, startAuthApp } from '../auth/auth-app';
import { AGREED } from '../support/eligibility';

const PASSWORD = 'correct horse battery staple';
/** The only cookies Tollgate sets: the session, the refresh token, and Google sign-in's 10-minute OAuth state. */
const ALLOWED = ['tg_session', 'tg_refresh', 'tg_oauth_state'];

describe('P19: only cookies needed for sign-in are used; no third-party tracking', () => {
  let t: AuthTestApp;
  beforeAll(async () => {
    t = await startAuthApp('policy_p19');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sets only the sign-in cookies, each HttpOnly, Secure and SameSite=Lax, across a whole session', async () => {
    const browser = newBrowser();
    const responses = [
      await browser.get(`${t.url}/health/ready`),
      await browser.get(`${t.url}/docs`),
      await browser.post(`${t.url}/auth/register`, { email: `p19-${Date.now()}@example.com`, password: PASSWORD, ...AGREED }),
      await signUp(browser, t.url, { email: `p19b-${Date.now()}@example.com`, password: PASSWORD }),
      await browser.get(`${t.url}/me`),
      await browser.get(`${t.url}/me/keys`),
      await browser.post(`${t.url}/auth/refresh`),
      await browser.post(`${t.url}/auth/logout`),
    ];
    const cookies = responses.flatMap((r) => r.setCookies);
    const names = new Set(cookies.map((c) => c.slice(0, c.indexOf('='))));
    expect([...names].sort()).toEqual(['tg_refresh', 'tg_session']); // the search sees the cookies that are set
    for (const name of names) expect(ALLOWED).toContain(name);
    for (const cookie of cookies) {
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('Secure');
      expect(cookie).toContain('SameSite=Lax');
    }
    const register = responses[3].setCookies; // the sign-up's confirmation
    expect(register.find((c) => c.startsWith('tg_session='))).toMatch(/; Path=\/;/);
    expect(register.find((c) => c.startsWith('tg_refresh='))).toMatch(/; Path=\/auth;/); // sent to /auth only
  });

  it('serves no page that loads scripts, styles or images from another origin', async () => {
    const docs = await newBrowser().get(`${t.url}/docs`);
    expect(docs.status).toBe(200);
    const sources = [...docs.text.matchAll(/(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]);
    expect(sources.length).toBeGreaterThan(0);
    const foreign = sources.filter((s) => /^(https?:)?\/\//i.test(s) && !s.startsWith(t.url));
    expect(foreign).toEqual([]);
  });
});
