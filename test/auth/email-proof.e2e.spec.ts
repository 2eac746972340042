import { AccountsService } from '../../src/accounts/accounts.service';
import { MAIL_OUTBOX, MailOutbox } from '../../src/notifications/mail/mail-outbox';
import { Browser } from '../support/browser';
import { eventually, waitFor } from '../support/eventually';
import { redisContaining, tablesContaining } from '../support/privacy-scan';
import { mailedSignUpToken, sharedSmtpSink, SmtpSink } from '../support/smtp-sink';
import { AuthTestApp, newBrowser, startAuthApp } from './auth-app';
import { AGREED } from '../support/eligibility';
import { openTestRedis } from '../support/redis';

const PASSWORD = 'correct horse battery staple';
// Long enough for a mail to arrive on a loaded machine (the first tests follow their links), short enough to wait out once.
const LINK_TTL_MS = 10_000;
const MAILS_PER_HOUR = 3;

/**
 * Issue 15 item 3 / issue 16 item 1: password sign-up proves the email with a signed, expiring,
 * single-use link, mailed over SMTP (a real server on loopback) through the BullMQ outbox.
 */
describe('email proof at password sign-up', () => {
  let t: AuthTestApp;
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await sharedSmtpSink();
    t = await startAuthApp('email_proof', { mail: { signUpLinkTtlMs: LINK_TTL_MS, signUpMailsPerAddressPerHour: MAILS_PER_HOUR, jobAttempts: 4, jobBackoffMs: 50 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const start = async (email: string, browser: Browser = newBrowser()) => {
    const asked = Date.now();
    const res = await browser.post(`${t.url}/auth/register`, { email, password: PASSWORD, ...AGREED });
    expect(res.status).toBe(202);
    return { token: await mailedSignUpToken(sink, email, asked), browser };
  };
  const confirm = (token: string, browser: Browser = newBrowser()) => browser.post(`${t.url}/auth/register/confirm`, { token });

  it('the mail names why it was sent, and its link opens a page whose button (a POST) creates the account; opening the page changes nothing', async () => {
    const email = 'page@example.com';
    const { token } = await start(email);
    const mail = sink.to(email).at(-1)!;
    expect(mail.subject).toBe('Confirm your email to create your Tollgate account');
    expect(mail.category).toBe('account');
    expect(mail.text).toContain('You received this because');
    expect(mail.html).toContain('lang="en"');
    expect(mail.text).toContain(`/auth/register/confirm?token=${token}`);

    const browser = newBrowser();
    // Mail scanners open links: a GET shows the page and creates nothing.
    for (let i = 0; i < 2; i++) {
      const page = await browser.get(`${t.url}/auth/register/confirm?token=${token}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.text).toContain('<form method="post" action="/auth/register/confirm">');
      expect(page.text).not.toContain('<script');
    }
    expect((await newBrowser().post(`${t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(401);
    // The page's form posts urlencoded, as a browser does.
    const submitted = await browser.post(`${t.url}/auth/register/confirm`, new URLSearchParams({ token }));
    expect([submitted.status, submitted.status === 201 ? '' : submitted.text]).toEqual([201, '']);
    expect(submitted.text).toContain('Your account is ready');
    expect((await browser.get(`${t.url}/me`)).body).toMatchObject({ email, registeredVia: 'password' });
    expect((await newBrowser().post(`${t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
  });

  it('refuses a forged, an altered, an expired and a reused link, each with its own clear error', async () => {
    const { token } = await start('links@example.com');
    const [payload, mac] = token.split('.');
    const altered = `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), email: 'someone.else@example.com' })).toString('base64url')}.${mac}`;
    const answers = {
      forged: await confirm('not-a-token'),
      altered: await confirm(altered),
      first: await confirm(token),
      reused: await confirm(token),
    };
    expect(answers.forged.body).toMatchObject({ status: 400, code: 'sign_up_link_invalid' });
    expect(answers.altered.body).toMatchObject({ status: 400, code: 'sign_up_link_invalid' });
    expect(answers.first.status).toBe(201);
    expect(answers.reused.body).toMatchObject({ status: 400, code: 'sign_up_link_used' });

    const { token: late } = await start('late@example.com');
    await new Promise((r) => setTimeout(r, LINK_TTL_MS + 100));
    const expired = await confirm(late);
    expect(expired.body).toMatchObject({ status: 400, code: 'sign_up_link_expired' });
    console.log(
      `links: forged ${answers.forged.body.code}, altered ${answers.altered.body.code}, first ${answers.first.status}, reused ${answers.reused.body.code}, after ${LINK_TTL_MS} ms ${expired.body.code}`,
    );
  });

  it('a relay answering 451 is retried with backoff: the mail arrives once; a replayed notification is not mailed again', async () => {
    const email = 'retry@example.com';
    const before = sink.refused;
    sink.refuseNext(2);
    const { token } = await start(email);
    expect(sink.refused - before).toBe(2);
    expect(sink.to(email)).toHaveLength(1);
    const notificationId = sink.to(email)[0].notificationId;
    // The log row follows the relay's acceptance.
    const logged = await eventually(() => t.database.db.selectFrom('mail_log').selectAll().where('notification_id', '=', notificationId).executeTakeFirstOrThrow());
    expect(logged).toMatchObject({ outcome: 'sent', attempts: 3, category: 'account' });

    // The same cause queued again (a replay, a retry of the request): the log says it was sent.
    const outbox = t.app.get<MailOutbox>(MAIL_OUTBOX);
    await outbox.enqueue({ notificationId, category: 'account', to: email, subject: 'again', text: 'again', html: '<p>again</p>' });
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.to(email)).toHaveLength(1);
    expect((await confirm(token)).status).toBe(201);
    console.log(`delivery: relay refused 2 attempts (451), delivered once on attempt ${logged.attempts}; replayed notification mailed ${sink.to(email).length - 1} more times`);
  });

  it('a mail that fails every attempt is a dead letter in the mail log, without its address', async () => {
    const email = 'dead.letter@example.com';
    sink.refuseNext(4);
    await t.app.get<MailOutbox>(MAIL_OUTBOX).enqueue({ notificationId: 'test-dead-letter-1', category: 'account', to: email, subject: 's', text: 't', html: '<p>t</p>' });
    const row = await waitFor(
      () => t.database.db.selectFrom('mail_log').selectAll().where('notification_id', '=', 'test-dead-letter-1').executeTakeFirst(),
      10_000,
      'the dead letter in the mail log',
      50,
    );
    expect(row).toMatchObject({ outcome: 'failed', attempts: 4 });
    expect(row!.last_error).not.toContain('@');
    expect(sink.to(email)).toHaveLength(0);
    // Admins see it (audited, like every staff read); developers do not.
    await t.app
      .get(AccountsService)
      .register(
        { email: 'mail-admin@example.com', password: PASSWORD, via: 'cli', eligibility: AGREED, roles: ['admin'] },
        { actorId: 'operator:test', occurredAt: new Date().toISOString() },
      );
    const admin = newBrowser();
    expect((await admin.post(`${t.url}/auth/login`, { email: 'mail-admin@example.com', password: PASSWORD })).status).toBe(200);
    const failed = await admin.get(`${t.url}/admin/mail/failed?limit=10`);
    expect(failed.body.items).toContainEqual({
      notificationId: 'test-dead-letter-1',
      category: 'account',
      attempts: 4,
      lastError: expect.any(String),
      failedAt: expect.any(String),
    });
    expect(JSON.stringify(failed.body)).not.toContain(email);
    expect((await admin.get(`${t.url}/admin/mail/failed?limit=0`)).status).toBe(400);
    expect((await newBrowser().get(`${t.url}/admin/mail/failed`)).status).toBe(401);
  });

  it('the same answer for a taken address (its owner gets a notice, not a link); at most N sign-up mails an hour to one address (429)', async () => {
    const email = 'owner@example.com';
    const { token } = await start(email);
    expect((await confirm(token)).status).toBe(201);
    const again = await newBrowser().post(`${t.url}/auth/register`, { email, password: PASSWORD, ...AGREED });
    expect(again.status).toBe(202);
    await sink.waitFor((m) => m.to.includes(email) && m.notificationId.startsWith('sign-up-exists-'));
    const third = await newBrowser().post(`${t.url}/auth/register`, { email, password: PASSWORD, ...AGREED });
    expect(third.status).toBe(202);
    const fourth = await newBrowser().post(`${t.url}/auth/register`, { email, password: PASSWORD, ...AGREED });
    expect(fourth.status).toBe(429);
    expect(fourth.body.code).toBe('sign_up_mails_limited');
    expect(fourth.headers.get('retry-after')).toBe('3600');
  });

  it('keeps no address in clear at rest: not in the mail log, not in Redis once mailed', async () => {
    const email = 'private.person@example.com';
    await start(email);
    const redis = openTestRedis();
    try {
      expect(await redisContaining(redis, [email])).toEqual([]);
    } finally {
      redis.disconnect();
    }
    const tables = await tablesContaining(t.database.pool, [email]);
    expect(tables).toEqual([]);
  });
});
