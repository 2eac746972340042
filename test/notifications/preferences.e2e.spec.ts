import { EVENT_STORE, EventStore, RecordedEvent } from '../../src/platform/event-store/event-store.port';
import { MAIL_OUTBOX, MailOutbox } from '../../src/notifications/mail/mail-outbox';
import { PreferencesView } from '../../src/notifications/preferences/preferences.schemas';
import { PreferencesService } from '../../src/notifications/preferences/preferences.service';
import { AuthTestApp, newBrowser, register, startAuthApp } from '../auth/auth-app';
import { Browser } from '../support/browser';
import { eventually } from '../support/eventually';
import { sharedSmtpSink, SmtpSink } from '../support/smtp-sink';

const ONE_CLICK = new URLSearchParams({ 'List-Unsubscribe': 'One-Click' });

/**
 * Issue 16, item 3: preferences per category from /me, essential mails always on, marketing only
 * with consent, and the one-click unsubscribe link (RFC 8058) that works with one POST and no
 * session. Mails travel over SMTP to the real sink.
 */
describe('mail preferences and one-click unsubscribe', () => {
  let t: AuthTestApp;
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await sharedSmtpSink();
    t = await startAuthApp('preferences');
  });
  afterAll(async () => {
    await t?.close();
  });

  const settings = (dev: Browser) => dev.get(`${t.url}/me/notifications`);
  const change = (dev: Browser, body: unknown, method = 'PATCH') => dev.request(method, `${t.url}/me/notifications`, body);
  const enabled = (view: { categories: { category: string; enabled: boolean }[] }) => Object.fromEntries(view.categories.map((c) => [c.category, c.enabled]));
  const streamOf = (accountId: string): Promise<RecordedEvent[]> =>
    t.app
      .get<EventStore>(EVENT_STORE)
      .readStream(`notifications-${accountId}`)
      .catch(() => []);
  const mailLog = (id: string) => t.database.db.selectFrom('mail_log').selectAll().where('notification_id', '=', id).executeTakeFirst();
  /** An optional mail as a sender elsewhere queues it (product news has no sender of its own yet). */
  const queue = (accountId: string, to: string, category: 'product' | 'marketing', id: string) =>
    t.app
      .get<MailOutbox>(MAIL_OUTBOX)
      .enqueue({ notificationId: id, category, accountId, to, subject: `News ${id}`, text: 'Something new.\n', html: '<html><body><p>Something new.</p></body></html>' });

  it('round trip: defaults (marketing off, the rest on), changes through PUT and PATCH, the consent time, the threshold', async () => {
    const dev = newBrowser();
    const accountId = await register(dev, t.url, 'prefs-round@example.com');
    const initial = (await settings(dev)).body;
    expect(enabled(initial)).toEqual({
      account: true,
      security: true,
      billing: true,
      privacy: true,
      legal: true,
      provider: true,
      'low-balance': true,
      'node-status': true,
      product: true,
      marketing: false,
    });
    expect(initial.categories.filter((c: { essential: boolean }) => c.essential).map((c: { category: string }) => c.category)).toEqual([
      'account',
      'security',
      'billing',
      'privacy',
      'legal',
      'provider',
    ]);
    expect(initial.lowBalance).toEqual({ thresholdUsd: null, thresholdMicroUsd: null });
    expect(initial.marketing).toEqual({ consented: false, consentedAt: null });

    const before = Date.now();
    const put = await change(dev, { categories: { product: false, marketing: true, security: true }, lowBalanceThresholdUsd: '5.5' }, 'PUT');
    expect(put.status).toBe(200);
    expect(enabled(put.body)).toMatchObject({ product: false, marketing: true, security: true });
    expect(put.body.lowBalance).toEqual({ thresholdUsd: '5.50', thresholdMicroUsd: '5500000' });
    expect(Date.parse(put.body.marketing.consentedAt)).toBeGreaterThanOrEqual(before - 1_000);
    // Every answer is what the document says (the schema @OkResponse publishes).
    for (const answer of [initial, put.body]) PreferencesView.parse(answer);
    // The read model catches up with the events.
    await eventually(async () => expect((await settings(dev)).body).toEqual(put.body));

    const patched = await change(dev, { categories: { marketing: false }, lowBalanceThresholdUsd: null });
    expect(patched.status).toBe(200);
    expect(patched.body.marketing).toEqual({ consented: false, consentedAt: null });
    expect(patched.body.lowBalance.thresholdUsd).toBeNull();
    expect(enabled(patched.body).product).toBe(false); // untouched

    // Each choice is an event with its time, on the person's own stream.
    const types = (await streamOf(accountId)).map((e) => e.type);
    console.log(`preference events: ${types.join(', ')}`);
    expect(types).toEqual(['NotificationCategoryTurnedOff', 'MarketingConsentGiven', 'LowBalanceThresholdSet', 'MarketingConsentWithdrawn', 'LowBalanceThresholdSet']);
    // P7: the export holds them too.
    const exported = JSON.parse((await dev.get(`${t.url}/me/export`)).text);
    expect(exported.notificationPreferences).toEqual(patched.body);
  });

  it('validation: essential categories cannot be turned off, unknown ones and bad thresholds are refused naming the field, nothing half-written', async () => {
    const dev = newBrowser();
    const accountId = await register(dev, t.url, 'prefs-invalid@example.com');
    const attempts: [unknown, number, string][] = [
      [{ categories: { security: false } }, 400, 'essential_category'],
      [{ categories: { billing: false, product: false } }, 400, 'essential_category'],
      [{ categories: { legal: false } }, 400, 'essential_category'],
      [{ categories: { newsletter: false } }, 400, 'invalid_body'],
      [{ categories: { product: 'no' } }, 400, 'invalid_body'],
      [{ categories: ['product'] }, 400, 'invalid_body'],
      [{ lowBalanceThresholdUsd: '-1' }, 400, 'invalid_amount'],
      [{ lowBalanceThresholdUsd: '0' }, 400, 'invalid_amount'],
      [{ lowBalanceThresholdUsd: '1.0000001' }, 400, 'invalid_amount'],
      [{ lowBalanceThresholdUsd: '2000000' }, 400, 'invalid_amount'],
      [{ lowBalanceThresholdUsd: 5 }, 400, 'invalid_body'],
      [{ threshold: '5' }, 400, 'invalid_body'],
      [{}, 400, 'invalid_body'],
    ];
    const measured = [];
    for (const [body, status, code] of attempts) {
      const res = await change(dev, body);
      measured.push(`${JSON.stringify(body)} → ${res.status} ${res.body?.code}: ${res.body?.detail}`);
      expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
    }
    console.log(`refused changes:\n  ${measured.join('\n  ')}`);
    // Refusals name the field and the rule in words, never the value sent.
    expect(measured.filter((m) => m.includes('invalid_body')).map((m) => m.slice(m.indexOf('invalid_body')))).toEqual([
      'invalid_body: Unknown field(s) in categories: newsletter.',
      'invalid_body: categories.product must be true or false.',
      'invalid_body: categories must be an object.',
      'invalid_body: lowBalanceThresholdUsd must be a string.',
      'invalid_body: Unknown field(s): threshold.',
      'invalid_body: Nothing to change: send categories and/or lowBalanceThresholdUsd.',
    ]);
    const essential = await change(dev, { categories: { security: false } });
    expect(essential.body.detail).toContain('categories.security');
    // The mixed request (billing off, product off) wrote nothing: product is still on.
    expect(await streamOf(accountId)).toEqual([]);
    expect((await newBrowser().get(`${t.url}/me/notifications`)).status).toBe(401);
  });

  it('an optional mail turned off is not delivered (logged as skipped); essential ones still arrive and carry no unsubscribe header', async () => {
    const email = 'prefs-off@example.com';
    const dev = newBrowser();
    const accountId = await register(dev, t.url, email);
    // Marketing without consent: not sent.
    await queue(accountId, email, 'marketing', 'test-marketing-1');
    await eventually(async () => expect((await mailLog('test-marketing-1'))?.outcome).toBe('skipped'));
    expect((await change(dev, { categories: { product: false } })).status).toBe(200);
    await queue(accountId, email, 'product', 'test-product-off');
    await eventually(async () => expect((await mailLog('test-product-off'))?.outcome).toBe('skipped'));
    // An essential notice (a key created) arrives all the same, without List-Unsubscribe.
    expect((await dev.post(`${t.url}/me/keys`, { name: 'after opting out' })).status).toBe(201);
    const essential = await sink.waitFor((m) => m.to.includes(email) && m.subject === 'A new API key was created');
    expect(essential.listUnsubscribe).toBe('');
    expect(essential.listUnsubscribePost).toBe('');
    const delivered = sink.to(email).map((m) => m.notificationId);
    console.log(`delivered to the opted-out person: ${delivered.join(', ')}; skipped: test-marketing-1, test-product-off`);
    expect(delivered).not.toContain('test-marketing-1');
    expect(delivered).not.toContain('test-product-off');
    expect(await mailLog('test-product-off')).toMatchObject({ category: 'product', outcome: 'skipped' });
    // Marketing arrives once consented to, with its one-click header.
    expect((await change(dev, { categories: { marketing: true } })).status).toBe(200);
    await queue(accountId, email, 'marketing', 'test-marketing-2');
    expect((await sink.waitFor((m) => m.notificationId === 'test-marketing-2')).listUnsubscribePost).toBe('List-Unsubscribe=One-Click');
  });

  it('one-click unsubscribe: the header and the link on optional mails, one POST without a session turns the category off, again changes nothing', async () => {
    const email = 'prefs-click@example.com';
    const dev = newBrowser();
    const accountId = await register(dev, t.url, email);
    await queue(accountId, email, 'product', 'test-product-1');
    const mail = await sink.waitFor((m) => m.notificationId === 'test-product-1');
    expect(mail.listUnsubscribePost).toBe('List-Unsubscribe=One-Click');
    const url = /^<(https?:\/\/[^>]+)>$/.exec(mail.listUnsubscribe)?.[1] as string;
    expect(url).toContain('/notifications/unsubscribe?token=');
    expect(mail.text).toContain(`Unsubscribe from product news: ${url}`);
    expect(mail.html).toContain('Unsubscribe from product news');
    const link = url.replace(/^https?:\/\/[^/]+/, t.url); // the configured public URL → this test app

    // A mail scanner following the link changes nothing: the page only has a button.
    const page = await newBrowser().get(link);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<button type="submit">Unsubscribe from product news</button>');
    expect((await t.app.get(PreferencesService).current(accountId)).turnedOff.size).toBe(0);

    // One POST, no cookie, as a mail provider sends it (RFC 8058).
    const stranger = newBrowser();
    const first = await stranger.post(link, ONE_CLICK);
    expect(first.status).toBe(200);
    expect(first.text).toContain('You are unsubscribed');
    const again = await stranger.post(link, ONE_CLICK);
    expect(again.status).toBe(200);
    const events = await streamOf(accountId);
    console.log(`two one-click POSTs → events: ${events.map((e) => `${e.type}(${String(e.data.via)})`).join(', ')}`);
    expect(events.map((e) => e.type)).toEqual(['NotificationCategoryTurnedOff']);
    expect(events[0].data).toMatchObject({ category: 'product', via: 'unsubscribe-link' });
    await eventually(async () => expect(enabled((await settings(dev)).body).product).toBe(false));

    // The next product mail is not delivered.
    await queue(accountId, email, 'product', 'test-product-2');
    await eventually(async () => expect((await mailLog('test-product-2'))?.outcome).toBe('skipped'));
    expect(sink.messages.some((m) => m.notificationId === 'test-product-2')).toBe(false);
  });

  it('adversarial: a forged, altered or truncated token, a body that is not one-click, a GET: each refused or harmless, nothing written', async () => {
    const email = 'prefs-forge@example.com';
    const dev = newBrowser();
    const accountId = await register(dev, t.url, email);
    const victimId = await register(newBrowser(), t.url, 'prefs-victim@example.com');
    await queue(accountId, email, 'product', 'test-product-forge');
    const mail = await sink.waitFor((m) => m.notificationId === 'test-product-forge');
    const token = new URL(/^<([^>]+)>$/.exec(mail.listUnsubscribe)?.[1] as string).searchParams.get('token') as string;
    const [payload, mac] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const reSigned = (c: object) => `${Buffer.from(JSON.stringify(c)).toString('base64url')}.${mac}`;
    const cases: [string, string][] = [
      ['another account, same signature', reSigned({ ...claims, a: victimId })],
      ['another category (product → security)', reSigned({ ...claims, c: 'security' })],
      ['signature altered', `${payload}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`],
      ['signature missing', payload],
      ['garbage', 'not-a-token'],
      ['too long', `${payload}.${'A'.repeat(400)}`],
      ['empty', ''],
    ];
    const measured = [];
    for (const [name, forged] of cases) {
      const res = await newBrowser().post(`${t.url}/notifications/unsubscribe?token=${encodeURIComponent(forged)}`, ONE_CLICK);
      measured.push(`${name}: ${res.status} ${res.body?.code}`);
      expect({ status: res.status, code: res.body?.code, type: res.headers.get('content-type') }).toEqual({
        status: 403,
        code: 'unsubscribe_link_invalid',
        type: expect.stringMatching(/^application\/problem\+json/),
      });
    }
    const noToken = await newBrowser().post(`${t.url}/notifications/unsubscribe`, ONE_CLICK);
    measured.push(`no token: ${noToken.status} ${noToken.body?.code}`);
    expect(noToken.status).toBe(403);
    const notOneClick = await newBrowser().post(`${t.url}/notifications/unsubscribe?token=${encodeURIComponent(token)}`, new URLSearchParams({ 'List-Unsubscribe': 'Maybe' }));
    measured.push(`genuine token, body List-Unsubscribe=Maybe: ${notOneClick.status} ${notOneClick.body?.code}`);
    expect(notOneClick.body?.code).toBe('one_click_body_required');
    const forgedPage = await newBrowser().get(`${t.url}/notifications/unsubscribe?token=${encodeURIComponent(reSigned({ ...claims, a: victimId }))}`);
    measured.push(`GET with a forged token: ${forgedPage.status}`);
    expect(forgedPage.status).toBe(403);
    console.log(`unsubscribe attempts:\n  ${measured.join('\n  ')}`);
    expect([...(await streamOf(accountId)), ...(await streamOf(victimId))]).toEqual([]);
  });
});
