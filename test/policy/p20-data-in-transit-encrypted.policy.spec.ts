import { loadConfig } from '../../src/platform/config/config';
import { AuthTestApp, newBrowser, signUp, startAuthApp } from '../auth/auth-app';

/**
 * TLS itself ends at the edge (a load balancer or reverse proxy; see docs/privacy.md, "Data in
 * transit"). What the code owns: Secure cookies, HSTS on every dashboard response that came over
 * TLS, and https for every outside URL in production.
 */
describe('P20: data in transit is encrypted', () => {
  describe('behind a TLS-terminating proxy', () => {
    let t: AuthTestApp;
    beforeAll(async () => {
      t = await startAuthApp('policy_p20'); // trusts proxies on loopback, as a deployment behind its balancer would
    });
    afterAll(async () => {
      await t?.close();
    });

    it('sends HSTS on responses that arrived over TLS, and not over plain http', async () => {
      const tls = await newBrowser().get(`${t.url}/health/live`, { 'x-forwarded-proto': 'https' });
      expect(tls.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      const plain = await newBrowser().get(`${t.url}/health/live`);
      expect(plain.headers.get('strict-transport-security')).toBeNull();
    });

    it('marks every cookie Secure, so browsers never send a session over plain http', async () => {
      const res = await signUp(newBrowser(), t.url, { email: `p20-${Date.now()}@example.com`, password: 'correct horse battery staple' }, { 'x-forwarded-proto': 'https' });
      expect(res.status).toBe(201);
      expect(res.setCookies.length).toBe(2);
      for (const cookie of res.setCookies) expect(cookie).toMatch(/; Secure/);
      expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=/);
    });
  });

  it('believes X-Forwarded-Proto only from a trusted proxy', async () => {
    const t = await startAuthApp('policy_p20_untrusted', { trustProxy: 0 });
    try {
      const res = await newBrowser().get(`${t.url}/health/live`, { 'x-forwarded-proto': 'https' });
      expect(res.headers.get('strict-transport-security')).toBeNull();
    } finally {
      await t.close();
    }
  });

  it('requires https for every outside URL in production', () => {
    const production = { NODE_ENV: 'production', APP_SECRET: 'x'.repeat(40), PUBLIC_URL: 'https://api.example.com', SMTP_URL: 'smtp://relay.example.com:587' };
    expect(() => loadConfig({ ...production, APP_URL: 'http://dashboard.example.com' })).toThrow(/APP_URL must use https:/);
    // The links mailed to people, and the mail relay: TLS too (STARTTLS is required on smtp:).
    expect(() => loadConfig({ ...production, PUBLIC_URL: 'http://api.example.com' })).toThrow(/PUBLIC_URL must use https:/);
    expect(loadConfig(production).mail.requireTls).toBe(true);
    expect(loadConfig({}).mail.requireTls).toBe(false);
    expect(() => loadConfig({ ...production, RAZORPAY_API_URL: 'http://api.razorpay.com' })).toThrow(/RAZORPAY_API_URL must use https:/);
    expect(() => loadConfig({ ...production, GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 's', GOOGLE_CALLBACK_URL: 'http://x.example.com/auth/google/callback' })).toThrow(
      /GOOGLE_CALLBACK_URL must use https:/,
    );
    expect(loadConfig({ ...production, APP_URL: 'https://dashboard.example.com' }).hstsMaxAgeSeconds).toBe(31_536_000);
    expect(loadConfig({ HSTS_MAX_AGE_SECONDS: '0' }).hstsMaxAgeSeconds).toBe(0);
  });
});
