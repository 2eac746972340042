import { AccountsService } from '../../src/accounts/accounts.service';
import { NodesService } from '../../src/nodes/nodes.service';
import { NodeOfflineWatch } from '../../src/notifications/notices/node-offline-watch';
import { AccountDeletion } from '../../src/privacy/deletion/account-deletion';
import {} from '../api-keys/support';
import { AuthTestApp, newBrowser, register, startAuthApp } from '../auth/auth-app';
import { eventually, waitFor } from '../support/eventually';
import { DAY_MS, services } from '../policy/retention-support';
import { sharedSmtpSink, SmtpSink } from '../support/smtp-sink';
import { AGREED, PROVIDER_TERMS_AGREED } from '../support/eligibility';

const PASSWORD = 'correct horse battery staple';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 19_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148';
const OFFLINE_NOTICE_MS = 60_000;

/**
 * Issue 16, item 2, the notices that need more than one event to decide: a sign-in from a new
 * device, the deletion done (the last mail, before the address is shredded), a node offline for
 * longer than the set time. Each from its real cause, delivered over SMTP once.
 */
describe('notices: new device, deletion done, node offline', () => {
  let t: AuthTestApp;
  let sink: SmtpSink;
  const ctx = () => ({ actorId: 'operator:test', occurredAt: new Date().toISOString() });

  beforeAll(async () => {
    sink = await sharedSmtpSink();
    t = await startAuthApp('notices_more', {
      mail: { nodeOfflineNoticeMs: OFFLINE_NOTICE_MS, nodeOfflineCheckEveryMs: 100 },
      nodes: { heartbeatIntervalMs: 100, heartbeatTtlMs: 1_000, sweepIntervalMs: 100 },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const subjects = (email: string) => sink.to(email).map((m) => m.subject);

  it('a sign-in from a device not seen before is mailed once; the same device again, and the first sign-in, are not', async () => {
    const email = 'devices@example.com';
    await register(newBrowser(), t.url, email, PASSWORD); // sign-up, then the first sign-in: no notice
    const login = (userAgent: string) => newBrowser(userAgent).post(`${t.url}/auth/login`, { email, password: PASSWORD });
    expect((await login(FIREFOX)).status).toBe(200);
    const mail = await sink.waitFor((m) => m.to.includes(email) && m.subject === 'New sign-in to your account');
    expect(mail.text).toContain('Firefox/140.0');
    expect(mail.text).toContain('with a password');
    expect(mail.category).toBe('security');
    expect(mail.text).not.toMatch(/198\.51\.100\./); // no IP address in a mail
    expect((await login(FIREFOX)).status).toBe(200);
    expect((await login(PHONE)).status).toBe(200);
    await sink.waitFor((m) => m.to.includes(email) && m.subject === 'New sign-in to your account' && m.text.includes('iPhone'));
    // A marker after the repeats: the next notice of this account arrives after them.
    const browser = newBrowser(PHONE);
    expect((await browser.post(`${t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
    expect((await browser.post(`${t.url}/me/keys`, { name: 'marker' })).status).toBe(201);
    await sink.waitFor((m) => m.to.includes(email) && m.subject === 'A new API key was created');
    const newDevice = subjects(email).filter((s) => s === 'New sign-in to your account');
    console.log(`new-device notices: ${newDevice.length} for 5 sign-ins from 3 devices (the first one the sign-up's)`);
    expect(newDevice).toHaveLength(2);
  });

  it('deletion done: the last mail is queued before the key is shredded, once, and a second run mails nothing', async () => {
    const email = 'leaving@example.com';
    const browser = newBrowser();
    const accountId = await register(browser, t.url, email, PASSWORD);
    expect((await browser.post(`${t.url}/me/deletion-request`)).status).toBe(202);
    const due = Date.now() + (t.config.privacy.deletionGraceDays + 1) * 86_400_000;
    await t.app.get(AccountDeletion).complete(accountId, new Date(due));
    const done = await sink.waitFor((m) => m.to.includes(email) && m.subject === 'Your account was deleted');
    expect(done.category).toBe('privacy');
    expect(done.notificationId).toBe(`deleted-${accountId}`);
    await t.app.get(AccountDeletion).complete(accountId, new Date(due + 1_000));
    await new Promise((r) => setTimeout(r, 500));
    expect(subjects(email).filter((s) => s === 'Your account was deleted')).toHaveLength(1);
    const log = await t.database.db.selectFrom('mail_log').selectAll().where('notification_id', '=', `deleted-${accountId}`).execute();
    expect(log).toEqual([expect.objectContaining({ outcome: 'sent', category: 'privacy' })]);
    expect(JSON.stringify(log)).not.toContain(email);
  });

  it('a node offline for longer than the set time: its provider is mailed once per outage, not before, and not again', async () => {
    const email = 'rig-owner@example.com';
    await t.app.get(AccountsService).register({ email: 'outage-admin@example.com', password: PASSWORD, via: 'cli', eligibility: AGREED, roles: ['admin'] }, ctx());
    const admin = newBrowser();
    expect((await admin.post(`${t.url}/auth/login`, { email: 'outage-admin@example.com', password: PASSWORD })).status).toBe(200);
    const invite = (await admin.post(`${t.url}/admin/provider-invites`, { email })).body;
    const provider = newBrowser();
    await register(provider, t.url, email, PASSWORD);
    expect((await provider.post(`${t.url}/me/provider-invite/accept`, { token: invite.token, providerTermsVersion: PROVIDER_TERMS_AGREED })).status).toBe(201);
    const registered = await provider.post(`${t.url}/provider/nodes`, {
      name: 'garage-rig',
      endpointUrl: 'http://127.0.0.1:9',
      models: [{ id: 'llama-test', contextLength: null }],
    });
    expect(registered.status).toBe(201);
    const { nodeId, token } = registered.body as { nodeId: string; token: string };
    const nodes = t.app.get(NodesService);
    await nodes.approve(nodeId, ctx());
    const heartbeat = () =>
      fetch(`${t.url}/nodes/heartbeat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ models: ['llama-test'] }),
      });
    expect((await heartbeat()).status).toBe(200);
    await t.caughtUp();
    // The heartbeats stop: the liveness sweep records the outage.
    const row = await waitFor(
      async () =>
        await t.database.db
          .selectFrom('nodes')
          .select(['online', 'online_changed_at'])
          .where('node_id', '=', nodeId)
          .where('online', '=', false)
          .where('online_changed_at', 'is not', null)
          .executeTakeFirst(),
      10_000,
      'NodeWentOffline in the read model',
    );
    const watch = t.app.get(NodeOfflineWatch);
    const since = (row.online_changed_at as Date).getTime();
    expect(await watch.check(new Date(since + OFFLINE_NOTICE_MS - 1_000))).toBe(0); // not yet
    expect(await watch.check(new Date(since + OFFLINE_NOTICE_MS + 1_000))).toBe(1);
    const mail = await sink.waitFor((m) => m.to.includes(email) && m.subject === 'Your node garage-rig is offline');
    expect(mail.category).toBe('node-status');
    expect(mail.notificationId).toBe(`node-offline-${nodeId}-${since}`);
    await eventually(async () =>
      expect(await t.database.db.selectFrom('mail_log').select('outcome').where('notification_id', '=', mail.notificationId).executeTakeFirst()).toEqual({ outcome: 'sent' }),
    );
    expect(await watch.check(new Date(since + OFFLINE_NOTICE_MS + 60_000))).toBe(0); // the same outage
    console.log(`node offline: mailed ${sink.to(email).filter((m) => m.subject.endsWith('is offline')).length} time(s) for one outage over 3 checks`);
    expect(sink.to(email).filter((m) => m.subject.endsWith('is offline'))).toHaveLength(1);
  });

  it('the mail log keeps its metadata for MAIL_LOG_RETENTION_DAYS, then the retention sweep removes it', async () => {
    const logged = async () =>
      Number(
        (
          await t.database.db
            .selectFrom('mail_log')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await logged();
    expect(before).toBeGreaterThan(0); // the mails of the tests above
    const { sweep } = services(t.app);
    const days = t.config.retention.mailLogDays;
    expect((await sweep.sweep(new Date(Date.now() + (days - 1) * DAY_MS))).mailLogRowsRemoved).toBe(0);
    const past = await sweep.sweep(new Date(Date.now() + (days + 1) * DAY_MS));
    console.log(`mail log: ${before} rows; a sweep ${days - 1} days on removed 0, ${days + 1} days on removed ${past.mailLogRowsRemoved}`);
    expect(past.mailLogRowsRemoved).toBe(before);
    expect(await logged()).toBe(0);
  });
});
