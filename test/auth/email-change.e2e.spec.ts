import { SignedLinks } from '../../src/auth/email-proof/signed-link';
import { SECRETS, Secrets } from '../../src/platform/security/secrets';
import { Browser } from '../support/browser';
import { eventually } from '../support/eventually';
import { sharedSmtpSink, SmtpSink } from '../support/smtp-sink';
import { AuthTestApp, newBrowser, register, startAuthApp } from './auth-app';

const PASSWORD = 'correct horse battery staple';

/**
 * Issue 16, item 2: an email change proves the new address with a signed, expiring, single-use
 * link, and the old address is told once it happened. A stolen session cannot start one without
 * the password; two accounts racing for one address cannot both get it.
 */
describe('email change with proof', () => {
  let t: AuthTestApp;
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await sharedSmtpSink();
    t = await startAuthApp('email_change');
  });
  afterAll(async () => {
    await t?.close();
  });

  const login = (email: string) => newBrowser().post(`${t.url}/auth/login`, { email, password: PASSWORD });
  // Links already handed out: two asks for one address in the same millisecond must not both read the first mail.
  const taken = new Set<string>();
  async function ask(browser: Browser, email: string): Promise<string> {
    const asked = Date.now();
    const res = await browser.post(`${t.url}/me/email`, { email, currentPassword: PASSWORD });
    expect(res.status).toBe(202);
    const mail = await sink.waitFor((m) => m.to.includes(email) && m.notificationId.startsWith('email-change-') && m.receivedAt >= asked && !taken.has(m.notificationId));
    taken.add(mail.notificationId);
    return /[?&]token=([A-Za-z0-9_.-]+)/.exec(mail.text)![1];
  }
  const confirm = (token: string) => newBrowser().post(`${t.url}/auth/email/confirm`, { token });

  it('the link mailed to the new address changes it; the old one no longer signs in and is told; the link works once', async () => {
    const browser = newBrowser();
    await register(browser, t.url, 'old-address@example.com', PASSWORD);

    expect((await browser.post(`${t.url}/me/email`, { email: 'new-address@example.com' })).body).toMatchObject({ status: 400, code: 'current_password_required' });
    expect((await browser.post(`${t.url}/me/email`, { email: 'new-address@example.com', currentPassword: 'not the password' })).body).toMatchObject({
      status: 403,
      code: 'wrong_password',
    });
    expect((await browser.post(`${t.url}/me/email`, { email: 'not an address', currentPassword: PASSWORD })).body).toMatchObject({ status: 400, code: 'invalid_email' });
    expect((await browser.post(`${t.url}/me/email`, { email: 'Old-Address@example.com', currentPassword: PASSWORD })).body).toMatchObject({ status: 400, code: 'same_email' });
    expect((await browser.post(`${t.url}/me/email`, { email: 'new-address@example.com', currentPassword: PASSWORD, admin: true })).status).toBe(400);
    expect((await newBrowser().post(`${t.url}/me/email`, { email: 'new-address@example.com' })).status).toBe(401);

    const token = await ask(browser, 'new-address@example.com');
    const mail = sink.to('new-address@example.com').at(-1)!;
    expect(mail.subject).toBe('Confirm your new email address');
    expect(mail.category).toBe('account');
    expect(mail.text).toContain('You received this because');
    // Opening the page (as mail scanners do) changes nothing.
    const page = await newBrowser().get(`${t.url}/auth/email/confirm?token=${token}`);
    expect(page.text).toContain('<form method="post" action="/auth/email/confirm">');
    expect((await login('new-address@example.com')).status).toBe(401);
    expect((await login('old-address@example.com')).status).toBe(200);

    // The page's form posts urlencoded, as a browser does.
    const done = await newBrowser().post(`${t.url}/auth/email/confirm`, new URLSearchParams({ token }));
    expect(done.status).toBe(200);
    expect(done.text).toContain('Your email address was changed');
    expect((await login('new-address@example.com')).status).toBe(200);
    expect((await login('old-address@example.com')).status).toBe(401);
    const told = await sink.waitFor((m) => m.to.includes('old-address@example.com') && m.subject === 'Your email address was changed');
    expect(told.category).toBe('security');
    await eventually(async () => expect((await browser.get(`${t.url}/me`)).body.email).toBe('new-address@example.com'));

    expect((await confirm(token)).body).toMatchObject({ status: 400, code: 'email_change_link_used' });
    const altered = token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await confirm(altered)).body).toMatchObject({ status: 400, code: 'email_change_link_invalid' });
    // An expired link, signed with the real key (as if mailed a day ago).
    const links = new SignedLinks(t.app.get<Secrets>(SECRETS), 'email-change-proof', { code: 'email_change', link: 'link', renew: '' });
    const expired = links.sign({ email: 'x@example.com', nonce: 'A'.repeat(22), expiresAt: Date.now() - 1 });
    expect((await confirm(expired)).body).toMatchObject({ status: 400, code: 'email_change_link_expired' });
    // A sign-up link is not an email change link (a key of its own).
    const signUpLink = new SignedLinks(t.app.get<Secrets>(SECRETS), 'email-proof', { code: 'sign_up', link: 'link', renew: '' }).sign({
      email: 'x@example.com',
      nonce: 'A'.repeat(22),
      expiresAt: Date.now() + 60_000,
    });
    expect((await confirm(signUpLink)).body).toMatchObject({ status: 400, code: 'email_change_link_invalid' });

    // The old address is free again: a new sign-up may take it.
    await register(newBrowser(), t.url, 'old-address@example.com', PASSWORD);
    expect((await login('old-address@example.com')).status).toBe(200);
    expect(JSON.stringify(await t.database.db.selectFrom('mail_log').selectAll().execute())).not.toMatch(/address@example\.com/);
  });

  it('an address another account signs in with gets a notice, not a link, and the asker the same answer', async () => {
    await register(newBrowser(), t.url, 'taken@example.com', PASSWORD);
    const browser = newBrowser();
    await register(browser, t.url, 'wants-taken@example.com', PASSWORD);
    const res = await browser.post(`${t.url}/me/email`, { email: 'taken@example.com', currentPassword: PASSWORD });
    expect(res.status).toBe(202);
    const notice = await sink.waitFor((m) => m.to.includes('taken@example.com') && m.subject === 'This address already has a Tollgate account');
    expect(notice.text).not.toMatch(/token=/);
    expect((await login('taken@example.com')).status).toBe(200);
  });

  it('two accounts racing to confirm the same new address: exactly one gets it', async () => {
    const a = newBrowser();
    const b = newBrowser();
    await register(a, t.url, 'racer-a@example.com', PASSWORD);
    await register(b, t.url, 'racer-b@example.com', PASSWORD);
    const tokenA = await ask(a, 'prize@example.com');
    const tokenB = await ask(b, 'prize@example.com');
    const answers = await Promise.all([confirm(tokenA), confirm(tokenB)]);
    const statuses = answers.map((r) => r.status).sort();
    console.log(`two accounts confirming one address at once: ${JSON.stringify(statuses)} (${answers.map((r) => r.body.code ?? r.body.status).join(', ')})`);
    expect(statuses).toEqual([200, 409]);
    expect(answers.find((r) => r.status === 409)!.body.code).toBe('email_taken');
    expect((await login('prize@example.com')).status).toBe(200);
  });
});
