import { AuthTestApp, confirmEligibility, newBrowser, startAuthApp } from './auth-app';
import { TELEGRAM_BOT_TOKEN as BOT_TOKEN, unixNow as now, widgetPayload } from './telegram-widget';

describe('Telegram login widget sign-in', () => {
  let t: AuthTestApp;

  beforeAll(async () => {
    t = await startAuthApp('auth_telegram', { telegramBotToken: BOT_TOKEN });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('accepts a correctly signed payload: registers on first sign-in, the same account after', async () => {
    const fields = { id: 424242, first_name: 'Ada', last_name: 'L', username: 'ada_l', photo_url: 'https://t.me/i/userpic/320/ada.jpg', auth_date: now() };
    const browser = newBrowser();
    const first = await browser.post(`${t.url}/auth/telegram`, widgetPayload(fields));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ accountId: expect.any(String), created: true, eligibilityPending: true });
    expect(browser.cookie(t.host, 'tg_session')).toBeDefined();
    await confirmEligibility(browser, t.url);
    const me = await browser.get(`${t.url}/me`);
    expect(me.body).toMatchObject({ accountId: first.body.accountId, email: null, displayName: 'Ada L', picture: 'https://t.me/i/userpic/320/ada.jpg', registeredVia: 'telegram' });

    const second = await newBrowser().post(`${t.url}/auth/telegram`, widgetPayload({ ...fields, auth_date: now() }));
    expect(second.body).toMatchObject({ accountId: first.body.accountId, created: false });
  });

  it('refuses a forged payload: altered fields, a hash made with another bot token, no hash', async () => {
    const signed = widgetPayload({ id: 555, first_name: 'Eve', auth_date: now() });
    const altered = await newBrowser().post(`${t.url}/auth/telegram`, { ...signed, id: 424242 });
    expect(altered.status).toBe(401);
    expect(altered.body.code).toBe('telegram_hash_invalid');
    const otherBot = await newBrowser().post(`${t.url}/auth/telegram`, widgetPayload({ id: 555, first_name: 'Eve', auth_date: now() }, '1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'));
    expect(otherBot.body.code).toBe('telegram_hash_invalid');
    const added = await newBrowser().post(`${t.url}/auth/telegram`, { ...signed, username: 'admin' }); // an unsigned extra field
    expect(added.body.code).toBe('telegram_hash_invalid');
    const { hash: _hash, ...unsigned } = signed;
    expect((await newBrowser().post(`${t.url}/auth/telegram`, unsigned)).status).toBe(400);
    expect((await newBrowser().post(`${t.url}/auth/telegram`, { ...signed, hash: 'not-hex' })).status).toBe(400);
  });

  it('refuses a stale auth_date (older than TELEGRAM_AUTH_MAX_AGE_SECONDS) and one in the future, even when signed', async () => {
    const stale = await newBrowser().post(`${t.url}/auth/telegram`, widgetPayload({ id: 777, first_name: 'Old', auth_date: now() - t.config.telegramAuthMaxAgeSeconds - 5 }));
    expect(stale.status).toBe(401);
    expect(stale.body.code).toBe('telegram_auth_expired');
    const future = await newBrowser().post(`${t.url}/auth/telegram`, widgetPayload({ id: 777, first_name: 'Future', auth_date: now() + 3600 }));
    expect(future.status).toBe(401);
    expect(future.body.code).toBe('telegram_auth_date_invalid');
  });

  it('refuses malformed bodies with 400', async () => {
    for (const body of [
      [],
      { id: 'abc', auth_date: now(), hash: 'a'.repeat(64) },
      { id: 1, auth_date: now(), hash: 'a'.repeat(64), first_name: 'x'.repeat(2000) },
      { id: 1, auth_date: now(), hash: 'a'.repeat(64), 'Bad-Name': 'x' },
    ]) {
      const res = await newBrowser().post(`${t.url}/auth/telegram`, body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_body');
    }
  });
});
