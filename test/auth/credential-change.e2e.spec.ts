import { AuthTestApp, confirmEligibility, newBrowser, register, startAuthApp } from './auth-app';
import { Browser } from '../support/browser';
import { TELEGRAM_BOT_TOKEN, unixNow, widgetPayload } from './telegram-widget';
import { signIn } from '../support/sign-in';

const PASSWORD = 'correct horse battery staple';
const RECENT_SIGN_IN_SECONDS = 2;

/**
 * Issue 15, item 4: changing or setting a password ends every other session, and needs the
 * current password, or (an account that has none) a sign-in within RECENT_SIGN_IN_SECONDS.
 */
describe('credential changes end the other sessions', () => {
  let t: AuthTestApp;

  beforeAll(async () => {
    t = await startAuthApp('credential_change', { telegramBotToken: TELEGRAM_BOT_TOKEN, recentSignInSeconds: RECENT_SIGN_IN_SECONDS });
  });
  afterAll(async () => {
    await t?.close();
  });

  const meStatus = async (b: Browser) => (await b.get(`${t.url}/me`)).status;

  it('a password change with the current password ends every other session (and its refresh token); the changing one stays', async () => {
    const email = 'changer@example.com';
    const first = newBrowser();
    await register(first, t.url, email, PASSWORD);
    const others = [await signIn(t.url, email, { password: PASSWORD }), await signIn(t.url, email, { password: PASSWORD })];
    // The attacker's stolen session cannot change the password without knowing it.
    expect((await others[0].post(`${t.url}/me/password`, { newPassword: 'attacker chosen password' })).body.code).toBe('current_password_required');

    const changer = await signIn(t.url, email, { password: PASSWORD });
    expect((await changer.post(`${t.url}/me/password`, { currentPassword: PASSWORD, newPassword: 'a brand new password' })).status).toBe(204);

    const after = await Promise.all([first, ...others].map(meStatus));
    const refreshes = await Promise.all([first, ...others].map(async (b) => (await b.post(`${t.url}/auth/refresh`)).status));
    console.log(
      `password changed: the other ${after.length} sessions answer /me ${JSON.stringify(after)}, refresh ${JSON.stringify(refreshes)}; the changing session ${await meStatus(changer)}`,
    );
    expect(after).toEqual([401, 401, 401]);
    expect(refreshes).toEqual([401, 401, 401]);
    expect(await meStatus(changer)).toBe(200);
    expect((await changer.post(`${t.url}/auth/refresh`)).status).toBe(200);
    // The old password is gone, the new one works.
    expect((await newBrowser().post(`${t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(401);
    await signIn(t.url, email, { password: 'a brand new password' });
  });

  it('an account without a password sets one only from a recent sign-in; a refresh is not a sign-in', async () => {
    const telegram = { id: 99_001, first_name: 'Grace' };
    const stale = newBrowser();
    expect((await stale.post(`${t.url}/auth/telegram`, widgetPayload({ ...telegram, auth_date: unixNow() }))).status).toBe(200);
    await confirmEligibility(stale, t.url);
    const other = newBrowser();
    expect((await other.post(`${t.url}/auth/telegram`, widgetPayload({ ...telegram, auth_date: unixNow() }))).status).toBe(200);
    await new Promise((r) => setTimeout(r, RECENT_SIGN_IN_SECONDS * 1000 + 200));
    expect((await stale.post(`${t.url}/auth/refresh`)).status).toBe(200);
    const refused = await stale.post(`${t.url}/me/password`, { newPassword: 'a first password here' });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('recent_sign_in_required');

    const fresh = newBrowser();
    expect((await fresh.post(`${t.url}/auth/telegram`, widgetPayload({ ...telegram, auth_date: unixNow() }))).status).toBe(200);
    expect((await fresh.post(`${t.url}/me/password`, { newPassword: 'a first password here' })).status).toBe(204);
    expect([await meStatus(stale), await meStatus(other), await meStatus(fresh)]).toEqual([401, 401, 200]);
  });
});
