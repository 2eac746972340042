import { Kysely } from 'kysely';
import { AccountsService } from '../../src/accounts/accounts.service';
import { Database } from '../../src/platform/database/schema';
import { PolicyNotices } from '../../src/legal/policy-notices';
import { PolicyDocument } from '../../src/legal/policy-versions.service';
import { AuthTestApp, newBrowser, register, startAuthApp } from '../auth/auth-app';
import { Browser } from '../support/browser';
import { eventually } from '../support/eventually';
import { ReceivedMail, sharedSmtpSink, SmtpSink } from '../support/smtp-sink';
import { TELEGRAM_BOT_TOKEN, unixNow, widgetPayload } from '../auth/telegram-widget';
import { TEST_LEGAL } from './legal-app';

const PASSWORD = 'correct horse battery staple';

/**
 * Issue 16 item 4: an admin publishes a version; /legal/* serves it from its effective date and
 * lists the earlier ones; every account with an address is mailed once, by the worker.
 */
describe('policy versions', () => {
  let t: AuthTestApp;
  let sink: SmtpSink;
  let admin: Browser;
  let db: Kysely<Database>;

  beforeAll(async () => {
    sink = await sharedSmtpSink();
    t = await startAuthApp('policy_versions', { telegramBotToken: TELEGRAM_BOT_TOKEN, legal: TEST_LEGAL });
    db = t.database.db;
    await t.app
      .get(AccountsService)
      .register(
        { email: 'legal-admin@example.com', password: PASSWORD, via: 'cli', eligibility: { over18: true, termsVersion: 't-1', privacyVersion: 'p-1' }, roles: ['admin'] },
        { actorId: 'operator:test', occurredAt: new Date().toISOString() },
      );
    admin = newBrowser();
    expect((await admin.post(`${t.url}/auth/login`, { email: 'legal-admin@example.com', password: PASSWORD })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  const legalDoc = (kind: string): Promise<PolicyDocument> => fetch(`${t.url}/legal/${kind}`).then((r) => r.json() as Promise<PolicyDocument>);
  const policyMails = (version: string): ReceivedMail[] => sink.messages.filter((m) => m.notificationId.startsWith(`policy-terms-${version}-`));

  it('serves the configured version until one is published, then each version from its effective date, with the earlier ones', async () => {
    const before = await legalDoc('terms');
    expect(before).toMatchObject({ kind: 'terms', inForce: { version: 't-1', source: 'configured' }, upcoming: [], earlier: [] });
    expect((await fetch(`${t.url}/legal/cookies`)).status).toBe(404);

    const effectiveAt = new Date(Date.now() + 2_500).toISOString();
    const published = await admin.post(`${t.url}/admin/legal/terms/versions`, {
      version: 't-2',
      effectiveAt,
      url: 'https://example.com/terms/t-2',
      summary: 'Refunds within 14 days.',
    });
    expect(published.status).toBe(201);
    const upcoming = await legalDoc('terms');
    expect(upcoming.inForce.version).toBe('t-1');
    expect(upcoming.upcoming).toEqual([expect.objectContaining({ version: 't-2', effectiveAt })]);

    const inForce = await eventually(async () => {
      const doc = await legalDoc('terms');
      expect(doc.inForce.version).toBe('t-2');
      return doc;
    }, 6_000);
    const lag = Date.now() - Date.parse(effectiveAt);
    expect(inForce.inForce).toMatchObject({ source: 'published', url: 'https://example.com/terms/t-2', effectiveAt });

    const next = new Date(Date.now() + 500).toISOString();
    expect(
      (await admin.post(`${t.url}/admin/legal/terms/versions`, { version: 't-3', effectiveAt: next, url: 'https://example.com/terms/t-3', summary: 'Clearer wording.' })).status,
    ).toBe(201);
    const later = await eventually(async () => {
      const doc = await legalDoc('terms');
      expect(doc.inForce.version).toBe('t-3');
      return doc;
    }, 5_000);
    expect(later.earlier.map((v: { version: string }) => v.version)).toEqual(['t-2']);
    expect((await legalDoc('privacy')).inForce).toMatchObject({ version: 'p-1', source: 'configured' });
    console.log(`policy versions: /legal/terms served t-2 ${lag} ms after its effective date`);
  });

  it('refuses bad publications with a problem naming the field, and non-admins', async () => {
    const base = { version: 'x-1', effectiveAt: new Date(Date.now() + 60_000).toISOString(), url: 'https://example.com/x', summary: 'x' };
    const refused = async (body: object, status: number, code: string) => {
      const res = await admin.post(`${t.url}/admin/legal/privacy/versions`, body);
      expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
      return res;
    };
    await refused({ ...base, effectiveAt: new Date(Date.now() - 1_000).toISOString() }, 400, 'effective_too_soon');
    await refused({ ...base, url: 'http://example.com/x' }, 400, 'invalid_url');
    await refused({ ...base, version: 'has space' }, 400, 'invalid_version');
    await refused({ ...base, summary: 'x'.repeat(2_001) }, 400, 'invalid_body');
    await refused({ ...base, extra: 1 }, 400, 'invalid_body');
    await refused({ ...base, effectiveAt: 'tomorrow' }, 400, 'invalid_date');
    const dev = newBrowser();
    await register(dev, t.url, 'not-admin@example.com', PASSWORD);
    expect((await dev.post(`${t.url}/admin/legal/privacy/versions`, base)).status).toBe(403);
    expect((await legalDoc('privacy')).upcoming).toEqual([]);
  });

  it('mails every account with an address once (suspended included; deleted and Telegram-only not), from the worker, and not again on a re-run', async () => {
    const emails = ['pa@example.com', 'pb@example.com', 'pc@example.com', 'suspended@example.com', 'deleted@example.com'];
    const ids: Record<string, string> = {};
    for (const email of emails) ids[email] = await register(newBrowser(), t.url, email, PASSWORD);
    expect((await admin.post(`${t.url}/admin/accounts/${ids['suspended@example.com']}/suspend`, { reason: 'test' })).status).toBe(204);
    const telegram = newBrowser();
    expect((await telegram.post(`${t.url}/auth/telegram`, widgetPayload({ id: 88_001, first_name: 'Tg', auth_date: unixNow() }))).status).toBe(200);
    // Due at the moment it is requested (one clock reading: two could differ by a millisecond).
    const now = new Date().toISOString();
    await t.app.get(AccountsService).requestDeletion(ids['deleted@example.com'], { dueAt: now, channel: 'self', note: null }, { actorId: 'self', occurredAt: now });
    const { AccountDeletion } = await import('../../src/privacy/deletion/account-deletion');
    await t.app.get(AccountDeletion).complete(ids['deleted@example.com'], new Date());
    await t.caughtUp();

    const publishedAt = Date.now();
    const effectiveAt = new Date(Date.now() + 1_500).toISOString();
    expect(
      (await admin.post(`${t.url}/admin/legal/terms/versions`, { version: 't-9', effectiveAt, url: 'https://example.com/terms/t-9', summary: 'We now bill per token.' })).status,
    ).toBe(201);
    const expected = ['legal-admin@example.com', 'not-admin@example.com', 'pa@example.com', 'pb@example.com', 'pc@example.com', 'suspended@example.com'];
    await eventually(
      async () =>
        expect(
          policyMails('t-9')
            .flatMap((m) => m.to)
            .sort(),
        ).toEqual(expect.arrayContaining(expected)),
      10_000,
    );
    const firstArrival = Math.max(...policyMails('t-9').map((m) => m.receivedAt)) - publishedAt;
    const mail = policyMails('t-9').find((m) => m.to.includes('pa@example.com'))!;
    expect(mail).toMatchObject({ category: 'legal', subject: 'We are updating our terms of service' });
    expect(mail.text).toContain('We now bill per token.');
    expect(mail.text).toContain('https://example.com/terms/t-9');
    expect(mail.text).toContain('You received this because');

    // The run closes once the version is in force; a crash that lost the cursor repeats the whole run: nothing is mailed twice.
    await eventually(
      async () => expect((await db.selectFrom('policy_notice_runs').selectAll().where('version', '=', 't-9').executeTakeFirstOrThrow()).finished_at).not.toBeNull(),
      10_000,
    );
    await db.updateTable('policy_notice_runs').set({ cursor_registered_at: null, cursor_account_id: null, finished_at: null }).where('version', '=', 't-9').execute();
    const repeated = await t.app.get(PolicyNotices).sweep(new Date());
    await new Promise((r) => setTimeout(r, 1_000));
    const recipients = policyMails('t-9').flatMap((m) => m.to);
    console.log(
      `policy notice t-9: ${recipients.length} mails to ${new Set(recipients).size} accounts, all within ${firstArrival} ms of publishing; a re-run from the start re-queued ${repeated.queued} ids and delivered 0 more`,
    );
    expect(recipients.sort()).toEqual(expected.sort());
  });
  it('a provider-terms version is mailed to providers only', async () => {
    const provider = newBrowser();
    expect((await provider.post(`${t.url}/auth/login`, { email: 'pb@example.com', password: PASSWORD })).status).toBe(200);
    const invite = await admin.post(`${t.url}/admin/provider-invites`, { email: 'pb@example.com' });
    expect((await provider.post(`${t.url}/me/provider-invite/accept`, { token: invite.body.token, providerTermsVersion: 'pt-1' })).status).toBe(201);
    await t.caughtUp();
    const effectiveAt = new Date(Date.now() + 1_000).toISOString();
    expect(
      (
        await admin.post(`${t.url}/admin/legal/provider-terms/versions`, {
          version: 'pt-2',
          effectiveAt,
          url: 'https://example.com/provider-terms/pt-2',
          summary: 'Payouts monthly.',
        })
      ).status,
    ).toBe(201);
    await eventually(
      async () => expect((await db.selectFrom('policy_notice_runs').selectAll().where('version', '=', 'pt-2').executeTakeFirstOrThrow()).finished_at).not.toBeNull(),
      10_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    const mails = sink.messages.filter((m) => m.notificationId.startsWith('policy-provider-terms-pt-2-'));
    console.log(`provider terms pt-2: mailed to ${JSON.stringify(mails.flatMap((m) => m.to))}`);
    expect(mails.flatMap((m) => m.to)).toEqual(['pb@example.com']);
    expect(mails[0].subject).toBe('We are updating our provider terms');
  });
});
