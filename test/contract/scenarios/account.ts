import { randomUUID } from 'node:crypto';
import { SECRETS, Secrets } from '../../../src/platform/security/secrets';
import { UnsubscribeTokens } from '../../../src/notifications/preferences/unsubscribe-token';
import { eligibilityInForce, newBrowser } from '../../auth/auth-app';
import { unixNow, widgetPayload } from '../../auth/telegram-widget';
import { Browser } from '../../support/browser';
import { registerAndSignIn, PASSWORD, SignedIn } from '../../support/sign-in';
import { mailedSignUpToken, sharedSmtpSink } from '../../support/smtp-sink';
import type { ContractContext, Scenario } from '../context';

/** The contract app's Telegram bot token (contract.e2e.spec.ts), to sign a widget payload as Telegram would. */
const TELEGRAM_BOT_TOKEN = `123456:${'A'.repeat(35)}`;

let fresh = 0;
/** An account of its own for a scenario that changes it (suspends, deletes, restricts), so the role accounts other groups use stay as they are. */
async function freshAccount(c: ContractContext, roles: ('support' | 'finance' | 'admin')[] = []): Promise<SignedIn & { api: ReturnType<ContractContext['client']> }> {
  const signedIn = await registerAndSignIn(c.h.t.app, c.url, `contract-account-${++fresh}-${randomUUID().slice(0, 8)}@example.com`, roles);
  return { ...signedIn, api: c.client(signedIn.browser) };
}

/** A call the typed client cannot make (HTML, a redirect, a form, an API key), held to the document all the same. */
async function raw(
  c: ContractContext,
  browser: Browser,
  method: string,
  template: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const res = await browser.fetch(new Request(`${c.url}${path}`, { method, body: init.body, headers: init.headers }));
  await c.checker.check(method, template, res.clone());
  return res;
}

export const scenarios: Scenario[] = [
  [
    'account: sign-up by mailed link, sign-in, sessions, refresh, logout; Telegram and Google',
    async (c) => {
      const email = `contract-signup-${randomUUID().slice(0, 8)}@example.com`;
      const browser = newBrowser();
      const api = c.client(browser);
      const asked = Date.now();
      const started = await api.POST('/auth/register', { body: { email, password: PASSWORD, ...(await eligibilityInForce(c.url)) } });
      expect(started.response.status).toBe(202);
      expect((await api.POST('/auth/register', { body: { email: 'x', password: '' } as never })).response.status).toBe(400);
      const token = await mailedSignUpToken(await sharedSmtpSink(), email, asked);
      const page = await raw(c, browser, 'GET', '/auth/register/confirm', `/auth/register/confirm?token=${encodeURIComponent(token)}`);
      expect(page.status).toBe(200);
      expect((await api.POST('/auth/register/confirm', { body: { token: 'forged.AAAA' } })).response.status).toBe(400);
      const created = await api.POST('/auth/register/confirm', { body: { token } });
      expect(created.response.status).toBe(201);
      expect(created.data?.created).toBe(true);

      // A second sign-in (another device), then the sessions list, and ending the other one.
      const other = c.client(newBrowser());
      expect((await other.POST('/auth/login', { body: { email, password: 'not the password' } })).response.status).toBe(401);
      expect((await other.POST('/auth/login', { body: { email, password: PASSWORD } })).response.status).toBe(200);
      const sessions = await api.GET('/me/sessions');
      expect(sessions.data).toHaveLength(2);
      const notCurrent = sessions.data!.find((s) => !s.current)!;
      expect((await api.POST('/me/sessions/{id}/revoke', { params: { path: { id: notCurrent.id } } })).response.status).toBe(200);
      expect((await api.POST('/me/sessions/{id}/revoke', { params: { path: { id: notCurrent.id } } })).response.status).toBe(404);

      expect((await api.POST('/auth/refresh')).response.status).toBe(200);
      expect((await api.POST('/auth/logout')).response.status).toBe(204);
      expect((await api.POST('/auth/refresh')).response.status).toBe(401);

      const telegram = c.client(newBrowser());
      const signed = widgetPayload({ id: 770_000 + Math.floor(Math.random() * 1000), first_name: 'Contract', auth_date: unixNow() }, TELEGRAM_BOT_TOKEN);
      const viaTelegram = await telegram.POST('/auth/telegram', { body: signed as never });
      expect(viaTelegram.response.status).toBe(200);
      expect(viaTelegram.data?.eligibilityPending).toBe(true);
      expect((await telegram.POST('/auth/telegram', { body: { ...signed, hash: '0'.repeat(64) } as never })).response.status).toBe(401);

      const google = newBrowser();
      expect((await raw(c, google, 'GET', '/auth/google', '/auth/google')).status).toBe(302);
      expect((await raw(c, google, 'GET', '/auth/google/callback', '/auth/google/callback?code=x&state=made-up')).status).toBe(401);
    },
  ],
  [
    'account: /me profile, password, email change by mailed link, eligibility',
    async (c) => {
      const me = await freshAccount(c);
      const view = await me.api.GET('/me');
      expect(view.data?.accountId).toBe(me.accountId);
      expect((await me.api.PATCH('/me', { body: { displayName: 'Ada' } })).response.status).toBe(204);
      expect((await me.api.PATCH('/me', { body: { picture: 'http://not-https.example.com/a.png' } })).response.status).toBe(400);
      const newPassword = 'a brand new long passphrase';
      expect((await me.api.POST('/me/password', { body: { currentPassword: 'wrong password!', newPassword } })).response.status).toBe(403);
      expect((await me.api.POST('/me/password', { body: { currentPassword: PASSWORD, newPassword } })).response.status).toBe(204);

      const newEmail = `contract-moved-${randomUUID().slice(0, 8)}@example.com`;
      const asked = Date.now();
      expect((await me.api.POST('/me/email', { body: { email: newEmail, currentPassword: newPassword } })).response.status).toBe(202);
      const mail = await (await sharedSmtpSink()).waitFor((m) => m.to.includes(newEmail) && m.notificationId.startsWith('email-change-') && m.receivedAt >= asked, 15_000);
      const token = /[?&]token=([A-Za-z0-9_.-]+)/.exec(mail.text)![1];
      const anyone = newBrowser();
      expect((await raw(c, anyone, 'GET', '/auth/email/confirm', `/auth/email/confirm?token=${token}`)).status).toBe(200);
      const api = c.client(anyone);
      expect((await api.POST('/auth/email/confirm', { body: { token: 'forged.AAAA' } })).response.status).toBe(400);
      expect((await api.POST('/auth/email/confirm', { body: { token } })).data).toEqual({ status: 'email_changed' });

      expect((await me.api.GET('/me/eligibility')).data?.status).toBe('attested');
      expect((await me.api.POST('/me/eligibility', { body: await eligibilityInForce(c.url) })).response.status).toBe(204);
      expect((await c.anonymous.GET('/me')).response.status).toBe(401);
    },
  ],
  [
    'account: API keys (/me/keys) and GET /v1/me',
    async (c) => {
      const dev = await freshAccount(c);
      expect((await dev.api.GET('/me/keys')).data).toEqual([]);
      const issued = await dev.api.POST('/me/keys', {
        body: { name: 'ci', expiresAt: new Date(Date.now() + 86_400_000).toISOString(), limits: { requestsPerMinute: 60, tokensPerMinute: null } },
      });
      expect(issued.response.status).toBe(201);
      expect((await dev.api.POST('/me/keys', { body: { name: '' } })).response.status).toBe(400);
      const rotated = await dev.api.POST('/me/keys/{id}/rotate', { params: { path: { id: issued.data!.apiKey.id } } });
      expect(rotated.response.status).toBe(201);
      await c.h.t.caughtUp(); // the key list is a read model
      expect((await dev.api.GET('/me/keys')).data).toHaveLength(2);
      expect((await dev.api.POST('/me/keys/{id}/revoke', { params: { path: { id: rotated.data!.apiKey.id } } })).response.status).toBe(204);
      expect((await dev.api.POST('/me/keys/{id}/revoke', { params: { path: { id: 'AAAAAAAAAAAA' } } })).response.status).toBe(404);

      const caller = newBrowser();
      const v1 = await raw(c, caller, 'GET', '/v1/me', '/v1/me', { headers: { authorization: `Bearer ${c.apiDeveloper.key}` } });
      expect(((await v1.json()) as { account_id: string }).account_id).toBe(c.apiDeveloper.accountId);
      expect((await raw(c, caller, 'GET', '/v1/me', '/v1/me')).status).toBe(401);
    },
  ],
  [
    'account: staff actions on an account (view, roles, suspension, keys) and a reported minor',
    async (c) => {
      const admin = c.as.admin.api;
      const target = await freshAccount(c);
      const id = target.accountId;
      await c.h.t.caughtUp(); // the staff view of an account is a read model
      expect((await admin.GET('/admin/accounts/{id}', { params: { path: { id } } })).data?.status).toBe('active');
      expect((await c.as.support.api.GET('/admin/accounts/{id}', { params: { path: { id } } })).response.status).toBe(200);
      expect((await admin.GET('/admin/accounts/{id}', { params: { path: { id: randomUUID() } } })).response.status).toBe(404);
      expect((await c.as.developer.api.GET('/admin/accounts/{id}', { params: { path: { id } } })).response.status).toBe(403);

      expect((await admin.POST('/admin/accounts/{id}/roles', { params: { path: { id } }, body: { role: 'support' } })).response.status).toBe(204);
      const unknown = await admin.POST('/admin/accounts/{id}/roles', { params: { path: { id } }, body: { role: 'overlord' } as never });
      expect(unknown.error).toMatchObject({ status: 400, code: 'unknown_role' });
      expect((await admin.DELETE('/admin/accounts/{id}/roles/{role}', { params: { path: { id, role: 'support' } } })).response.status).toBe(204);

      const key = await target.api.POST('/me/keys', { body: { name: 'to revoke' } });
      expect((await admin.POST('/admin/accounts/{id}/keys/{keyId}/revoke', { params: { path: { id, keyId: key.data!.apiKey.id } } })).response.status).toBe(204);

      expect((await admin.POST('/admin/accounts/{id}/suspend', { params: { path: { id } }, body: { reason: '' } })).response.status).toBe(400);
      expect((await admin.POST('/admin/accounts/{id}/suspend', { params: { path: { id } }, body: { reason: 'contract test' } })).response.status).toBe(204);
      expect((await admin.POST('/admin/accounts/{id}/reinstate', { params: { path: { id } } })).response.status).toBe(204);

      const minor = await freshAccount(c);
      const support = c.as.support.api;
      const refused = await support.POST('/admin/accounts/{id}/reported-minor', { params: { path: { id: minor.accountId } }, body: { referenceId: 'mum of ada@example.com' } });
      expect(refused.error).toMatchObject({ status: 400, code: 'invalid_body' });
      const flagged = await support.POST('/admin/accounts/{id}/reported-minor', { params: { path: { id: minor.accountId } }, body: { referenceId: 'ticket-4821' } });
      expect(flagged.response.status).toBe(201);
      expect(flagged.data?.shredded).toBe(true);
    },
  ],
  [
    'account: legal documents, and publishing a version',
    async (c) => {
      expect((await c.anonymous.GET('/legal/{kind}', { params: { path: { kind: 'terms' } } })).data?.kind).toBe('terms');
      expect((await c.anonymous.GET('/legal/{kind}', { params: { path: { kind: 'cookies' as never } } })).response.status).toBe(404);
      const body = {
        version: `contract-${randomUUID().slice(0, 8)}`,
        effectiveAt: new Date(Date.now() + 400 * 86_400_000).toISOString(),
        url: 'https://example.com/legal/privacy/contract',
        summary: 'Clearer wording.',
      };
      const kind = { params: { path: { kind: 'privacy' as const } } };
      expect((await c.as.admin.api.POST('/admin/legal/{kind}/versions', { ...kind, body: { ...body, effectiveAt: 'tomorrow' } })).error).toMatchObject({
        status: 400,
        code: 'invalid_date',
      });
      const published = await c.as.admin.api.POST('/admin/legal/{kind}/versions', { ...kind, body });
      expect(published.response.status).toBe(201);
      expect((await c.anonymous.GET('/legal/{kind}', kind)).data?.upcoming.map((v) => v.version)).toContain(body.version);
    },
  ],
  [
    'account: data rights (deletion, restriction, export) and KYC',
    async (c) => {
      const person = await freshAccount(c);
      expect((await person.api.POST('/me/restriction')).response.status).toBe(204);
      expect((await person.api.DELETE('/me/restriction')).response.status).toBe(204);
      expect((await person.api.PUT('/me/kyc', { body: { pan: 'ABCXE1234F', aadhaar: '234123412346' } })).error).toMatchObject({ status: 400, code: 'invalid_pan' });
      expect((await person.api.GET('/me/kyc')).response.status).toBe(404);
      expect((await person.api.PUT('/me/kyc', { body: { pan: 'ABCPE1234F', aadhaar: '234123412346' } })).data?.status).toBe('submitted');
      expect((await person.api.GET('/me/kyc')).data?.pan).toBe('ABCPE****F');
      const path = { params: { path: { id: person.accountId } } };
      expect((await c.as.support.api.GET('/admin/accounts/{id}/kyc', path)).data?.status).toBe('submitted');
      expect((await c.as.admin.api.POST('/admin/accounts/{id}/kyc/reject', { ...path, body: { reason: '' } })).response.status).toBe(400);
      expect((await c.as.admin.api.POST('/admin/accounts/{id}/kyc/reject', { ...path, body: { reason: 'The PAN does not match the name.' } })).response.status).toBe(204);
      expect((await person.api.PUT('/me/kyc', { body: { pan: 'ABCPE1234F', aadhaar: '234123412346' } })).response.status).toBe(200);
      expect((await c.as.admin.api.POST('/admin/accounts/{id}/kyc/verify', path)).response.status).toBe(204);
      expect((await c.as.admin.api.GET('/admin/accounts/{id}/kyc', { params: { path: { id: randomUUID() } } })).response.status).toBe(404);

      const exported = await person.api.GET('/me/export');
      expect(exported.data?.complete).toBe(true);
      const asked = await person.api.POST('/me/deletion-request');
      expect(asked.response.status).toBe(202);
      // The request ended every session: sign in again to cancel it.
      const again = await signInAgain(c, person.email);
      expect((await again.DELETE('/me/deletion-request')).data).toEqual({ requestedAt: null, dueAt: null });

      const byMail = await freshAccount(c);
      const admin = c.as.admin.api;
      expect((await admin.POST('/admin/accounts/{id}/deletion-request', { params: { path: { id: byMail.accountId } }, body: { channel: 'phone' } as never })).response.status).toBe(
        400,
      );
      const recorded = await admin.POST('/admin/accounts/{id}/deletion-request', {
        params: { path: { id: byMail.accountId } },
        body: { channel: 'email', note: 'Asked by mail.' },
      });
      expect(recorded.response.status).toBe(202);
      expect(recorded.data?.dueAt).toEqual(expect.any(String));
    },
  ],
  [
    'account: mail preferences and one-click unsubscribe',
    async (c) => {
      const person = await freshAccount(c);
      expect((await person.api.GET('/me/notifications')).response.status).toBe(200);
      expect((await person.api.PUT('/me/notifications', { body: { categories: { product: false } } })).response.status).toBe(200);
      expect((await person.api.PATCH('/me/notifications', { body: { lowBalanceThresholdUsd: '5.00' } })).data?.lowBalance.thresholdMicroUsd).toBe('5000000');
      expect((await person.api.PATCH('/me/notifications', { body: { lowBalanceThresholdUsd: 'five' } })).error).toMatchObject({ status: 400, code: 'invalid_amount' });

      const token = new UnsubscribeTokens(c.h.t.app.get<Secrets>(SECRETS)).sign({ accountId: person.accountId, category: 'product' });
      const browser = newBrowser();
      const query = `/notifications/unsubscribe?token=${encodeURIComponent(token)}`;
      expect((await raw(c, browser, 'GET', '/notifications/unsubscribe', query)).status).toBe(200);
      const form = { body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } };
      expect((await raw(c, browser, 'POST', '/notifications/unsubscribe', query, form)).status).toBe(200);
      expect((await raw(c, browser, 'POST', '/notifications/unsubscribe', '/notifications/unsubscribe', form)).status).toBe(403);
      const notOneClick = { body: 'List-Unsubscribe=Maybe', headers: form.headers };
      expect((await raw(c, browser, 'POST', '/notifications/unsubscribe', query, notOneClick)).status).toBe(400);
    },
  ],
];

/** A new sign-in of `email` (the earlier sessions were ended), with its typed client. */
async function signInAgain(c: ContractContext, email: string): Promise<ReturnType<ContractContext['client']>> {
  const browser = newBrowser();
  const api = c.client(browser);
  const res = await api.POST('/auth/login', { body: { email, password: PASSWORD } });
  if (res.response.status !== 200) throw new Error(`sign-in again failed: ${res.response.status}`);
  return api;
}
