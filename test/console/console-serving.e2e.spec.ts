import { gzipSync } from 'node:zlib';
import { AuthTestApp, newBrowser, register, startAuthApp } from '../auth/auth-app';
import { buildConsole } from './build';

/** Issue 17 step 1: the console on the API's origin, its CSP, and CSRF protection for cookie-authenticated writes. */
describe('the web console, served by the app', () => {
  let t: AuthTestApp;

  beforeAll(async () => {
    buildConsole();
    t = await startAuthApp('console_serving');
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('serves index.html at /console/ and for any client-side route, with a CSP of self only (payments are off here)', async () => {
    for (const path of ['/console/', '/console/keys', '/console/playground']) {
      const res = await fetch(`${t.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      const csp = res.headers.get('content-security-policy')!;
      console.log(`${path} → ${res.status}, CSP: ${csp}`);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("frame-src 'none'");
      expect(csp).toContain("connect-src 'self'");
      const html = await res.text();
      expect(html).toContain('/console/assets/');
      expect(html).not.toMatch(/<script>(?!<)/); // no inline script: the CSP would refuse it
      expect(html).not.toMatch(/https?:\/\//); // nothing from another origin
    }
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(await (await fetch(`${t.url}/console/`)).text())![1];
    const js = await fetch(`${t.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${t.url}/console/assets/missing.js`)).status).toBe(404);
  });

  it('sends under 250 KB of JavaScript, gzipped, before the first page shows', async () => {
    const html = await (await fetch(`${t.url}/console/`)).text();
    const initial = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+\.js)"/g)].map((m) => m[1]);
    let gzipped = 0;
    for (const path of initial) gzipped += gzipSync(Buffer.from(await (await fetch(`${t.url}${path}`)).arrayBuffer()), { level: 9 }).length;
    console.log(`initial JavaScript: ${initial.length} file(s), ${(gzipped / 1024).toFixed(1)} KB gzipped (${initial.join(', ')})`);
    expect(gzipped).toBeLessThan(250 * 1024);
  });

  it('tells the page which sign-in buttons to show, and nothing secret', async () => {
    const res = await fetch(`${t.url}/console/settings.json`);
    expect(await res.json()).toEqual({ google: false, telegramBotId: null, payments: false, checkoutScriptUrl: null });
  });

  it('refuses a cookie-authenticated write from another origin or a sibling site, and takes it from its own', async () => {
    const browser = newBrowser();
    await register(browser, t.url, 'csrf@example.com');
    const body = { name: 'from a page' };
    const crossSite = await browser.post(`${t.url}/me/keys`, body, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' });
    const sameSite = await browser.post(`${t.url}/me/keys`, body, { 'sec-fetch-site': 'same-site', origin: 'https://other.tollgate.test' });
    const oldBrowser = await browser.post(`${t.url}/me/keys`, body, { origin: 'https://evil.example' });
    console.log(`cookie write: cross-site ${crossSite.status}, same-site ${sameSite.status}, Origin only (other) ${oldBrowser.status}`);
    expect([crossSite.status, sameSite.status, oldBrowser.status]).toEqual([403, 403, 403]);
    expect(crossSite.body).toMatchObject({ code: 'cross_origin_write' });
    const own = await browser.post(`${t.url}/me/keys`, body, { 'sec-fetch-site': 'same-origin', origin: t.url });
    const noBrowserHeaders = await browser.post(`${t.url}/me/keys`, body);
    expect([own.status, noBrowserHeaders.status]).toEqual([201, 201]);
    // Without the cookie there is nothing to forge: a cross-site sign-in attempt is answered as usual.
    expect((await newBrowser().post(`${t.url}/auth/login`, { email: 'csrf@example.com', password: 'wrong' }, { 'sec-fetch-site': 'cross-site' })).status).toBe(401);
  });
});
