import { AccountsService } from '../../src/accounts/accounts.service';
import { NoticeReactor, NOTICES_CHECKPOINT } from '../../src/notifications/notices/notice-reactor';
import { writeCheckpoint } from '../../src/platform/projection-runtime/checkpoint';
import { AuthTestApp, confirmEligibility, newBrowser, register, startAuthApp } from '../auth/auth-app';
import { Browser } from '../support/browser';
import { ReceivedMail, sharedSmtpSink, SmtpSink } from '../support/smtp-sink';
import { TELEGRAM_BOT_TOKEN, unixNow, widgetPayload } from '../auth/telegram-widget';
import { AGREED } from '../support/eligibility';

const PASSWORD = 'correct horse battery staple';

/**
 * Issue 16, item 2 (security, billing, data rights): each notice caused by its real event through
 * the public routes, delivered over SMTP once, and not again after a worker restart or a replay.
 */
describe('notices: security and data-rights mails from their events', () => {
  let t: AuthTestApp;
  let sink: SmtpSink;
  let admin: Browser;

  beforeAll(async () => {
    sink = await sharedSmtpSink();
    t = await startAuthApp('notices', { telegramBotToken: TELEGRAM_BOT_TOKEN });
    await t.app
      .get(AccountsService)
      .register(
        { email: 'notices-admin@example.com', password: PASSWORD, via: 'cli', eligibility: AGREED, roles: ['admin'] },
        { actorId: 'operator:test', occurredAt: new Date().toISOString() },
      );
    admin = newBrowser();
    expect((await admin.post(`${t.url}/auth/login`, { email: 'notices-admin@example.com', password: PASSWORD })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  const notices = (email: string) => sink.to(email).filter((m) => m.notificationId.startsWith('notice-'));
  const waitForSubject = (email: string, subject: string): Promise<ReceivedMail> => sink.waitFor((m) => m.to.includes(email) && m.subject === subject);

  it('key created, rotated, revoked; password changed; suspended and reinstated; deletion scheduled: each mailed once, naming why, never a full key', async () => {
    const email = 'noticed@example.com';
    const dev = newBrowser();
    const accountId = await register(dev, t.url, email, PASSWORD);
    const started = Date.now();

    const issued = (await dev.post(`${t.url}/me/keys`, { name: 'ci runner' })).body;
    const created = await waitForSubject(email, 'A new API key was created');
    const latency = Date.now() - started;
    expect(created.text).toContain('"ci runner"');
    expect(created.text).toContain(issued.apiKey.prefix);
    expect(created.text).not.toContain(issued.key);
    expect(created.category).toBe('security');
    expect(created.text).toContain('You received this security notice because');

    const rotated = (await dev.post(`${t.url}/me/keys/${issued.apiKey.id}/rotate`)).body;
    await sink.waitFor((m) => m.to.includes(email) && m.subject === 'A new API key was created' && m.text.includes(rotated.apiKey.prefix));
    expect((await dev.post(`${t.url}/me/keys/${rotated.apiKey.id}/revoke`)).status).toBe(204);
    const revoked = await waitForSubject(email, 'An API key was revoked');
    expect(revoked.text).toContain(rotated.apiKey.prefix);

    expect((await dev.post(`${t.url}/me/password`, { currentPassword: PASSWORD, newPassword: 'another long password' })).status).toBe(204);
    await waitForSubject(email, 'Your password was changed');
    expect((await admin.post(`${t.url}/admin/accounts/${accountId}/suspend`, { reason: 'card testing' })).status).toBe(204);
    expect((await waitForSubject(email, 'Your account was suspended')).text).toContain('card testing');
    expect((await admin.post(`${t.url}/admin/accounts/${accountId}/reinstate`)).status).toBe(204);
    await waitForSubject(email, 'Your account was reinstated');
    expect((await dev.post(`${t.url}/me/deletion-request`)).status).toBe(202);
    const scheduled = await waitForSubject(email, 'Your account is scheduled for deletion');
    expect(scheduled.category).toBe('privacy');

    // Once each: the rotation's revocation of the old key is told by the new key's notice, not twice.
    const subjects = notices(email).map((m) => m.subject);
    expect(subjects.filter((s) => s === 'A new API key was created')).toHaveLength(2);
    expect(subjects.filter((s) => s === 'An API key was revoked')).toHaveLength(1);
    expect(subjects.filter((s) => s === 'Your password was changed')).toHaveLength(1); // not at sign-up
    expect(new Set(notices(email).map((m) => m.notificationId)).size).toBe(notices(email).length);
    console.log(`notices: ${subjects.length} mails (${[...new Set(subjects)].join('; ')}); first one arrived ${latency} ms after its request`);
  });

  it('neither a worker restart nor a replay from the start mails a notice again; an account without an email is not mailed', async () => {
    const telegram = newBrowser();
    expect((await telegram.post(`${t.url}/auth/telegram`, widgetPayload({ id: 77_001, first_name: 'Tg', auth_date: unixNow() }))).status).toBe(200);
    await confirmEligibility(telegram, t.url);
    expect((await telegram.post(`${t.url}/me/keys`, { name: 'no mail' })).status).toBe(201);
    const before = sink.messages.length;

    const reactor = t.app.get(NoticeReactor);
    await reactor.stop();
    // Replay everything: the checkpoint back to the start of $all.
    await writeCheckpoint(t.database.db, NOTICES_CHECKPOINT, null);
    reactor.start();
    // A marker after the replay: once it arrives, every replayed event was handled before it.
    const email = 'marker@example.com';
    const marker = newBrowser();
    await register(marker, t.url, email, PASSWORD);
    expect((await marker.post(`${t.url}/me/keys`, { name: 'marker' })).status).toBe(201);
    await waitForSubject(email, 'A new API key was created');
    const again = sink.messages.slice(before).filter((m) => m.notificationId.startsWith('notice-') && !m.to.includes(email));
    console.log(`replay from the start: ${again.length} notices mailed again`);
    expect(again).toEqual([]);
  });
});
