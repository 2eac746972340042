import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { AuthTestApp, newBrowser, register, startAuthApp } from './auth-app';
import { Browser } from '../support/browser';
import { signIn } from '../support/sign-in';

const PASSWORD = 'correct horse battery staple';
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

interface SessionView {
  id: string;
  current: boolean;
  method: string;
  device: string;
  createdAt: string;
  lastUsedAt: string;
}

/**
 * Issue 17: the sessions list (`GET /me/sessions`) and ending one session
 * (`POST /me/sessions/:id/revoke`). Another account's session id is a 404 exactly like a made-up
 * one: no cross-account leak, and nothing is ended.
 */
describe('my sessions: list and revoke', () => {
  let t: AuthTestApp;
  let laptop: Browser;
  let phone: Browser;
  let other: Browser;
  let accountId: string;

  const list = async (browser: Browser) => {
    const res = await browser.get(`${t.url}/me/sessions`);
    expect(res.status).toBe(200);
    return res.body as SessionView[];
  };

  beforeAll(async () => {
    t = await startAuthApp('my_sessions');
    laptop = newBrowser(LAPTOP);
    accountId = await register(laptop, t.url, 'sessions@example.com');
    phone = await signIn(t.url, 'sessions@example.com', { password: PASSWORD, userAgent: PHONE });
    other = newBrowser(LAPTOP);
    await register(other, t.url, 'sessions-other@example.com');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('lists the live sessions with device, method and times, the current one first and marked; never a token or sid', async () => {
    const fromLaptop = await list(laptop);
    console.log(`sessions seen from the laptop: ${JSON.stringify(fromLaptop)}`);
    expect(fromLaptop).toHaveLength(2);
    expect(fromLaptop[0]).toMatchObject({ current: true, device: 'Chrome on Linux', method: 'password' });
    expect(fromLaptop[1]).toMatchObject({ current: false, device: 'Safari on iOS', method: 'password' });
    for (const s of fromLaptop) {
      expect(s.id).toMatch(/^[0-9a-f]{32}$/);
      expect(Date.parse(s.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(s.createdAt));
    }
    const fromPhone = await list(phone);
    expect(fromPhone.map((s) => [s.id, s.current])).toEqual([
      [fromLaptop[1].id, true],
      [fromLaptop[0].id, false],
    ]);
    // The refresh cookie holds the sid; the list's ids are not it.
    const refresh = laptop.cookie(t.host, 'tg_refresh')!.value;
    expect(JSON.stringify(fromLaptop)).not.toContain(refresh.split('.')[0]);
    expect((await list(other)).map((s) => s.device)).toEqual(['Chrome on Linux']); // only its own
  });

  it('moves "last used" when the session refreshes its token', async () => {
    const before = (await list(phone)).find((s) => s.current)!;
    await new Promise((r) => setTimeout(r, 20));
    expect((await phone.post(`${t.url}/auth/refresh`)).status).toBe(200);
    const after = (await list(phone)).find((s) => s.current)!;
    console.log(`phone session last used ${before.lastUsedAt} → ${after.lastUsedAt} after a refresh`);
    expect(after.id).toBe(before.id);
    expect(Date.parse(after.lastUsedAt)).toBeGreaterThan(Date.parse(before.lastUsedAt));
  });

  it("answers another account's session id, a made-up id and a malformed one alike (404), and ends nothing", async () => {
    const phoneId = (await list(phone)).find((s) => s.current)!.id;
    const cross = await other.post(`${t.url}/me/sessions/${phoneId}/revoke`);
    const madeUp = await other.post(`${t.url}/me/sessions/${'0'.repeat(32)}/revoke`);
    const malformed = await other.post(`${t.url}/me/sessions/${'x'.repeat(300)}/revoke`);
    console.log(`revoke by another account: ${cross.status} ${JSON.stringify(cross.body)}; made-up id: ${madeUp.status}; malformed: ${malformed.status}`);
    expect([cross.status, madeUp.status, malformed.status]).toEqual([404, 404, 404]);
    expect({ ...cross.body, instance: null }).toEqual({ ...madeUp.body, instance: null }); // the same answer but the path it names
    expect(cross.body.code).toBe('session_not_found');
    expect((await phone.get(`${t.url}/me`)).status).toBe(200);
    expect((await t.app.get<EventStore>(EVENT_STORE).readStream(`signins-${accountId}`, { maxCount: 100 })).map((e) => e.type)).not.toContain('SessionRevoked');
    expect((await newBrowser().post(`${t.url}/me/sessions/${phoneId}/revoke`)).status).toBe(401);
  });

  it('ends another session of mine at once, records SessionRevoked, and a second revoke is a 404', async () => {
    const phoneId = (await list(laptop)).find((s) => !s.current)!.id;
    const res = await laptop.post(`${t.url}/me/sessions/${phoneId}/revoke`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: phoneId, current: false, device: 'Safari on iOS' });
    const phoneMe = await phone.get(`${t.url}/me`);
    const phoneRefresh = await phone.post(`${t.url}/auth/refresh`);
    console.log(`after revoking the phone's session: phone /me ${phoneMe.status}, its refresh ${phoneRefresh.status}; laptop /me ${(await laptop.get(`${t.url}/me`)).status}`);
    expect([phoneMe.status, phoneRefresh.status]).toEqual([401, 401]);
    expect((await list(laptop)).map((s) => s.current)).toEqual([true]);
    expect((await laptop.post(`${t.url}/me/sessions/${phoneId}/revoke`)).status).toBe(404);
    const events = await t.app.get<EventStore>(EVENT_STORE).readStream(`signins-${accountId}`, { maxCount: 100 });
    const revoked = events.filter((e) => e.type === 'SessionRevoked');
    expect(revoked).toHaveLength(1);
    expect(revoked[0].data).toMatchObject({ sessionId: phoneId, method: 'password', current: false });
    expect(revoked[0].metadata.actorId).toBe(accountId);
    expect(JSON.stringify(revoked[0].data)).not.toMatch(/Safari|iPhone/);
  });

  it('ending the current session signs this browser out and clears its cookies', async () => {
    const own = (await list(laptop))[0];
    const res = await laptop.post(`${t.url}/me/sessions/${own.id}/revoke`);
    expect(res.status).toBe(200);
    expect(res.body.current).toBe(true);
    const cleared = res.setCookies.find((c) => c.startsWith('tg_session='));
    console.log(`ending the current session: ${res.status}, Set-Cookie ${cleared}`);
    expect(cleared).toMatch(/^tg_session=;/);
    expect((await laptop.get(`${t.url}/me`)).status).toBe(401);
  });
});
