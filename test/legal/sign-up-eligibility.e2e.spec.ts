import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { AuthTestApp, newBrowser, startAuthApp } from '../auth/auth-app';
import { TELEGRAM_BOT_TOKEN, unixNow, widgetPayload } from '../auth/telegram-widget';
import { Browser } from '../support/browser';
import { eventually } from '../support/eventually';
import { GoogleOAuthStandin } from '../standins/google/google-oauth-standin';
import { freePort } from '../support/net';
import { mailedSignUpToken, sharedSmtpSink, SmtpSink } from '../support/smtp-sink';
import { TEST_LEGAL } from './legal-app';

const PASSWORD = 'correct horse battery staple';
const AGREE = { over18: true as const, termsVersion: 't-1', privacyVersion: 'p-1' };

/**
 * Issue 22: every sign-up path confirms 18+ and accepts the terms and privacy policy in force, by
 * version, or is refused naming what is missing; the account's first events hold the attestation;
 * external sign-ins land on a pending step; providers accept the provider terms with an invite.
 */
describe('eligibility and agreement at sign-up', () => {
  const google = new GoogleOAuthStandin();
  let t: AuthTestApp;
  let sink: SmtpSink;
  let store: EventStore;
  let admin: Browser;

  beforeAll(async () => {
    sink = await sharedSmtpSink();
    await google.start();
    const port = await freePort();
    const callbackUrl = `http://127.0.0.1:${port}/auth/google/callback`;
    google.registerRedirectUri(callbackUrl);
    t = await startAuthApp('sign_up_eligibility', {
      port,
      legal: TEST_LEGAL,
      telegramBotToken: TELEGRAM_BOT_TOKEN,
      google: { clientId: google.clientId, clientSecret: google.clientSecret, callbackUrl, authUrl: google.authUrl, tokenUrl: google.tokenUrl, userInfoUrl: google.userInfoUrl },
    });
    store = t.app.get(EVENT_STORE);
    await t.app
      .get(AccountsService)
      .register(
        { email: 'elig-admin@example.com', password: PASSWORD, via: 'cli', roles: ['admin'], eligibility: AGREE },
        { actorId: 'operator:test', occurredAt: new Date().toISOString() },
      );
    admin = newBrowser();
    expect((await admin.post(`${t.url}/auth/login`, { email: 'elig-admin@example.com', password: PASSWORD })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await google.stop();
  });

  const accountEvents = async (accountId: string) => (await store.readStream(`account-${accountId}`)).map((e) => ({ type: e.type, data: e.data, actorId: e.metadata.actorId }));

  async function googleSignIn(browser: Browser) {
    const start = await browser.get(`${t.url}/auth/google`);
    const consent = await browser.get(start.location!);
    return browser.get(consent.location!);
  }

  it('password: refused without the confirmations (naming each missing one, nothing mailed or claimed); with them, the first events hold the attestation and versions', async () => {
    const email = 'pw-elig@example.com';
    const browser = newBrowser();
    const post = (extra: object) => browser.post(`${t.url}/auth/register`, { email, password: PASSWORD, ...extra });
    const none = await post({});
    expect([none.status, none.body.code]).toEqual([400, 'eligibility_required']);
    for (const field of ['over18', 'termsVersion', 'privacyVersion']) expect(none.body.detail).toContain(field);
    const notAdult = await post({ ...AGREE, over18: false });
    expect([notAdult.status, notAdult.body.code]).toEqual([400, 'eligibility_required']);
    expect(notAdult.body.detail).toContain('over18');
    expect(notAdult.body.detail).not.toContain('termsVersion');
    expect((await post({ ...AGREE, over18: 'yes' })).body.code).toBe('eligibility_required'); // true, not truthy
    const oldTerms = await post({ ...AGREE, termsVersion: 't-0' });
    expect([oldTerms.status, oldTerms.body.code]).toEqual([400, 'terms_version_not_in_force']);
    expect(oldTerms.body.detail).toContain('t-1');
    expect((await post({ ...AGREE, privacyVersion: 'p-0' })).body.code).toBe('privacy_version_not_in_force');
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.to(email)).toHaveLength(0);

    const asked = Date.now();
    expect((await post(AGREE)).status).toBe(202);
    const token = await mailedSignUpToken(sink, email, asked);
    const confirmed = await browser.post(`${t.url}/auth/register/confirm`, { token });
    expect(confirmed.status).toBe(201);
    const events = await accountEvents(confirmed.body.accountId);
    expect(events.slice(0, 3).map((e) => e.type)).toEqual(['AccountRegistered', 'PasswordChanged', 'EligibilityAttested']);
    expect(events[2]).toMatchObject({ actorId: 'self', data: { over18: true, termsVersion: 't-1', privacyVersion: 'p-1' } });
    // The attestation is the form's (what the person ticked, and when), carried in the pending sign-up.
    expect(Date.parse(String(events[2].data.attestedAt))).toBeLessThanOrEqual(Date.parse(String(events[0].data.registeredAt)));
    expect(Object.keys(events[2].data).sort()).toEqual(['attestedAt', 'over18', 'privacyVersion', 'termsVersion']); // no birth date
    console.log(
      `password sign-up: no attestation → ${none.status} ${none.body.code}; over18 false → ${notAdult.status}; old terms → ${oldTerms.status} ${oldTerms.body.code}; with them → 202, then 201 with ${events.map((e) => e.type).join(', ')}`,
    );
  });

  it('Google: the first sign-in lands on the pending step (no other route, no keys) until the person confirms', async () => {
    google.signInAs({ sub: '500000000000000000005', email: 'g-elig@example.com', email_verified: true, name: 'G', picture: 'https://lh3.googleusercontent.com/a/g' });
    const browser = newBrowser();
    const first = await googleSignIn(browser);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ created: true, eligibilityPending: true });
    const accountId = first.body.accountId as string;
    const blocked = [await browser.get(`${t.url}/me`), await browser.post(`${t.url}/me/keys`, { name: 'too early' }), await browser.get(`${t.url}/me/export`)];
    expect(blocked.map((r) => `${r.status} ${r.body?.code}`)).toEqual(['403 eligibility_pending', '403 eligibility_pending', '403 eligibility_pending']);
    expect((await browser.get(`${t.url}/me/eligibility`)).body).toMatchObject({ status: 'pending', termsVersion: 't-1', privacyVersion: 'p-1' });
    // Signing in again changes nothing: still pending.
    const again = await googleSignIn(newBrowser());
    expect(again.body).toMatchObject({ accountId, created: false, eligibilityPending: true });

    const missing = await browser.post(`${t.url}/me/eligibility`, {});
    expect([missing.status, missing.body.code]).toEqual([400, 'eligibility_required']);
    expect((await browser.post(`${t.url}/me/eligibility`, { ...AGREE, privacyVersion: 'p-0' })).body.code).toBe('privacy_version_not_in_force');
    expect((await browser.post(`${t.url}/me/eligibility`, AGREE)).status).toBe(204);
    expect((await browser.post(`${t.url}/me/eligibility`, AGREE)).status).toBe(204); // again: a no-op
    expect((await browser.get(`${t.url}/me`)).status).toBe(200);
    expect((await browser.post(`${t.url}/me/keys`, { name: 'now' })).status).toBe(201);
    const events = await accountEvents(accountId);
    expect(events.slice(0, 2)).toEqual([
      expect.objectContaining({ type: 'AccountRegistered', data: expect.objectContaining({ via: 'google', eligibilityPending: true }) }),
      expect.objectContaining({ type: 'EligibilityAttested', actorId: accountId, data: expect.objectContaining({ over18: true, termsVersion: 't-1', privacyVersion: 'p-1' }) }),
    ]);
    expect(events.filter((e) => e.type === 'EligibilityAttested')).toHaveLength(1);
    console.log(
      `Google first sign-in: pending → ${blocked.map((r) => r.status).join('/')} on /me, keys, export; confirmed → keys 201; events ${events.map((e) => e.type).join(', ')}`,
    );
  });

  it('Telegram: the same pending step; the refresh of a pending session stays pending', async () => {
    const browser = newBrowser();
    const first = await browser.post(`${t.url}/auth/telegram`, widgetPayload({ id: 66_001, first_name: 'Tg', auth_date: unixNow() }));
    expect(first.body).toMatchObject({ created: true, eligibilityPending: true });
    expect((await browser.post(`${t.url}/me/keys`, { name: 'x' })).body.code).toBe('eligibility_pending');
    // The operator's path (the CLI's keys:issue goes through the same service) is refused too.
    await expect(t.app.get(ApiKeysService).issue(first.body.accountId, { name: 'cli' }, { actorId: 'operator:cli', occurredAt: new Date().toISOString() })).rejects.toMatchObject({
      code: 'eligibility_pending',
    });
    expect((await browser.post(`${t.url}/auth/refresh`)).status).toBe(200);
    expect((await browser.get(`${t.url}/me`)).body.code).toBe('eligibility_pending');
    expect((await browser.post(`${t.url}/me/eligibility`, { over18: true })).body.detail).toContain('termsVersion');
    expect((await browser.post(`${t.url}/me/eligibility`, AGREE)).status).toBe(204);
    expect((await browser.get(`${t.url}/me`)).status).toBe(200);
    const events = await accountEvents(first.body.accountId);
    expect(events.map((e) => e.type).slice(0, 2)).toEqual(['AccountRegistered', 'EligibilityAttested']);
  });

  it('providers accept the provider terms in force with the invite; without them the invite is refused and stays unused', async () => {
    const email = 'gpu-elig@example.com';
    const browser = newBrowser();
    const asked = Date.now();
    expect((await browser.post(`${t.url}/auth/register`, { email, password: PASSWORD, ...AGREE })).status).toBe(202);
    const accountId = (await browser.post(`${t.url}/auth/register/confirm`, { token: await mailedSignUpToken(sink, email, asked) })).body.accountId as string;
    const invite = await admin.post(`${t.url}/admin/provider-invites`, { email });
    const without = await browser.post(`${t.url}/me/provider-invite/accept`, { token: invite.body.token });
    expect([without.status, without.body.code]).toEqual([400, 'provider_terms_required']);
    const old = await browser.post(`${t.url}/me/provider-invite/accept`, { token: invite.body.token, providerTermsVersion: 'pt-0' });
    expect([old.status, old.body.code]).toEqual([400, 'provider_terms_version_not_in_force']);
    expect(old.body.detail).toContain('pt-1');
    const accepted = await browser.post(`${t.url}/me/provider-invite/accept`, { token: invite.body.token, providerTermsVersion: 'pt-1' });
    expect(accepted.status).toBe(201);
    expect(accepted.body.roles).toContain('provider');
    const events = await accountEvents(accountId);
    const terms = events.findIndex((e) => e.type === 'ProviderTermsAccepted');
    expect(events[terms]).toMatchObject({ actorId: accountId, data: { providerTermsVersion: 'pt-1', inviteId: invite.body.inviteId } });
    expect(events.findIndex((e) => e.type === 'RoleGranted')).toBeGreaterThan(terms); // the role only after the terms
  });

  it('a new version in force: a sign-up accepted on the form keeps its version; the next sign-in records the new one as seen, once', async () => {
    const email = 'seen@example.com';
    const browser = newBrowser();
    const asked = Date.now();
    expect((await browser.post(`${t.url}/auth/register`, { email, password: PASSWORD, ...AGREE })).status).toBe(202);
    const token = await mailedSignUpToken(sink, email, asked);
    const effectiveAt = new Date(Date.now() + 800).toISOString();
    expect((await admin.post(`${t.url}/admin/legal/terms/versions`, { version: 't-2', effectiveAt, url: 'https://example.com/terms/t-2', summary: 'New terms.' })).status).toBe(
      201,
    );
    await eventually(async () => expect(((await fetch(`${t.url}/legal/terms`).then((r) => r.json())) as { inForce: { version: string } }).inForce.version).toBe('t-2'), 5_000);
    // A form filled in with t-1 is now refused (t-2 is in force) …
    expect((await newBrowser().post(`${t.url}/auth/register`, { email: 'late@example.com', password: PASSWORD, ...AGREE })).body.code).toBe('terms_version_not_in_force');
    // … but the link of a sign-up that accepted t-1 when it was in force still works, and records what was accepted.
    const confirmed = await browser.post(`${t.url}/auth/register/confirm`, { token });
    expect(confirmed.status).toBe(201);
    expect((await newBrowser().post(`${t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
    const events = await accountEvents(confirmed.body.accountId);
    expect(events.find((e) => e.type === 'EligibilityAttested')!.data).toMatchObject({ termsVersion: 't-1' });
    const seen = events.filter((e) => e.type === 'PolicyVersionsSeen');
    expect(seen).toEqual([expect.objectContaining({ data: expect.objectContaining({ termsVersion: 't-2', privacyVersion: 'p-1', seenAt: expect.any(String) }) })]);
    // Item 5: the export and the support replay show these events like every other.
    const exported = (await browser.get(`${t.url}/me/export`)).body;
    expect(exported.agreements).toEqual([
      { type: 'EligibilityAttested', over18: true, termsVersion: 't-1', privacyVersion: 'p-1', attestedAt: expect.any(String) },
      { type: 'PolicyVersionsSeen', termsVersion: 't-2', privacyVersion: 'p-1', seenAt: expect.any(String) },
    ]);
    const timeline = (await admin.get(`${t.url}/support/accounts/${confirmed.body.accountId}/timeline?limit=50`)).body.items as {
      type: string;
      summary: Record<string, unknown>;
    }[];
    expect(timeline.find((e) => e.type === 'EligibilityAttested')!.summary).toMatchObject({
      over18: true,
      termsVersion: 't-1',
      privacyVersion: 'p-1',
      attestedAt: expect.any(String),
    });
    expect(timeline.find((e) => e.type === 'PolicyVersionsSeen')!.summary).toMatchObject({ termsVersion: 't-2', privacyVersion: 'p-1' });
    console.log(
      `new version: attested ${String(events.find((e) => e.type === 'EligibilityAttested')!.data.termsVersion)} on the form, seen t-2 at the next sign-in; ${seen.length} PolicyVersionsSeen after 2 sign-ins`,
    );
  });
});
