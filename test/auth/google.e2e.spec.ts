import { freePort } from '../support/net';
import { AccountsService } from '../../src/accounts/accounts.service';
import { Browser } from '../support/browser';
import { GoogleOAuthStandin, GoogleUser } from '../standins/google/google-oauth-standin';
import { mailedSignUpToken, sharedSmtpSink } from '../support/smtp-sink';
import { AuthTestApp, confirmEligibility, newBrowser, register, startAuthApp } from './auth-app';
import { AGREED } from '../support/eligibility';

const APP_URL = 'https://dashboard.tollgate.test/welcome';

const ada: GoogleUser = {
  sub: '107691503500061507151',
  email: 'ada.google@example.com',
  email_verified: true,
  name: 'Ada Lovelace',
  picture: 'https://lh3.googleusercontent.com/a/ada',
};

/**
 * Google sign-in end to end through the real passport-google-oauth20 strategy: the browser
 * follows every redirect (app → stand-in Google → app) carrying its cookies; the app talks to
 * the stand-in's token and userinfo endpoints server to server.
 */
describe('Google sign-in (OAuth 2.0 with state and PKCE, against a protocol stand-in)', () => {
  const google = new GoogleOAuthStandin();
  let t: AuthTestApp;

  beforeAll(async () => {
    await google.start();
    const port = await freePort();
    const callbackUrl = `http://127.0.0.1:${port}/auth/google/callback`;
    google.registerRedirectUri(callbackUrl);
    t = await startAuthApp('auth_google', {
      port,
      appUrl: APP_URL,
      google: { clientId: google.clientId, clientSecret: google.clientSecret, callbackUrl, authUrl: google.authUrl, tokenUrl: google.tokenUrl, userInfoUrl: google.userInfoUrl },
    });
  });
  afterAll(async () => {
    await t?.close();
    await google.stop();
  });

  /** Click "Sign in with Google", consent, come back. Returns the app's final response. */
  async function signInWithGoogle(browser: Browser) {
    const start = await browser.get(`${t.url}/auth/google`);
    expect(start.status).toBe(302);
    expect(start.location).toMatch(new RegExp(`^${google.authUrl}\\?`));
    const consent = await browser.get(start.location!);
    expect(consent.status).toBe(302);
    expect(consent.location).toMatch(/\/auth\/google\/callback\?/);
    const signedIn = await browser.get(consent.location!);
    // The console's next step after a first sign-in (issue 22): confirm age and terms.
    if (signedIn.status === 302 && (await browser.get(`${t.url}/me/eligibility`)).body.status === 'pending') await confirmEligibility(browser, t.url);
    return signedIn;
  }

  it('registers on first sign-in, signs the same account in the second time, and redirects to APP_URL', async () => {
    google.signInAs(ada);
    const browser = newBrowser();
    const first = await signInWithGoogle(browser);
    expect(first.status).toBe(302);
    expect(first.location).toBe(APP_URL);
    expect(browser.cookie(t.host, 'tg_session')).toBeDefined();
    expect(browser.cookie(t.host, 'tg_refresh')).toBeDefined();
    expect(browser.cookie(t.host, 'tg_oauth_state')).toBeUndefined(); // used once, then cleared

    const me = await browser.get(`${t.url}/me`);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      email: 'ada.google@example.com',
      displayName: 'Ada Lovelace',
      picture: 'https://lh3.googleusercontent.com/a/ada',
      registeredVia: 'google',
      roles: ['developer'],
    });

    const again = newBrowser();
    expect((await signInWithGoogle(again)).location).toBe(APP_URL);
    const meAgain = await again.get(`${t.url}/me`);
    expect(meAgain.body.accountId).toBe(me.body.accountId);

    // What went over the wire was the real protocol: state + S256 PKCE out, client auth and the verifier back.
    const auth = google.log.authorizations.at(-1)!;
    expect(auth).toMatchObject({
      response_type: 'code',
      client_id: google.clientId,
      code_challenge_method: 'S256',
      redirect_uri: expect.stringContaining('/auth/google/callback'),
    });
    expect(auth.state).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(auth.scope.split(' ')).toEqual(expect.arrayContaining(['openid', 'email', 'profile']));
    const token = google.log.tokenRequests.at(-1)!;
    expect(token.form).toMatchObject({ grant_type: 'authorization_code', client_id: google.clientId, client_secret: google.clientSecret, code_verifier: expect.any(String) });
    expect(google.log.userinfoRequests.at(-1)).toEqual({ viaHeader: true });
  });

  it('links a verified Google email to the existing password account', async () => {
    const accountId = await register(newBrowser(), t.url, 'grace@example.com');
    google.signInAs({ sub: '200000000000000000002', email: 'grace@example.com', email_verified: true, name: 'Grace', picture: 'https://lh3.googleusercontent.com/a/grace' });
    const browser = newBrowser();
    expect((await signInWithGoogle(browser)).status).toBe(302);
    expect((await browser.get(`${t.url}/me`)).body.accountId).toBe(accountId);
  });

  it('does not link an unverified email: a separate account without that email', async () => {
    const accountId = await register(newBrowser(), t.url, 'linus@example.com');
    google.signInAs({ sub: '300000000000000000003', email: 'linus@example.com', email_verified: false, name: 'Not Linus', picture: 'https://lh3.googleusercontent.com/a/x' });
    const browser = newBrowser();
    expect((await signInWithGoogle(browser)).status).toBe(302);
    const me = await browser.get(`${t.url}/me`);
    expect(me.body.accountId).not.toBe(accountId);
    expect(me.body.email).toBeNull();
  });

  it('refuses a callback whose state is not bound to this browser (login CSRF), or reused', async () => {
    google.signInAs(ada);
    const victim = newBrowser();
    const attacker = newBrowser();
    const start = await attacker.get(`${t.url}/auth/google`);
    const consent = await attacker.get(start.location!);
    // The attacker hands their callback URL (code + state) to the victim's browser.
    const injected = await victim.get(consent.location!);
    expect(injected.status).toBe(401);
    expect(injected.body.code).toBe('google_sign_in_failed');
    expect(victim.cookie(t.host, 'tg_session')).toBeUndefined();

    // A forged state is refused; the genuine callback then works once, and never twice.
    const legit = newBrowser();
    const s = await legit.get(`${t.url}/auth/google`);
    const c = await legit.get(s.location!);
    const stateCookie = legit.cookie(t.host, 'tg_oauth_state')!.value;
    const forged = new URL(c.location!);
    forged.searchParams.set('state', 'forged-state-value-000000000000');
    expect((await legit.get(forged.toString())).status).toBe(401);
    legit.setCookie(t.host, 'tg_oauth_state', stateCookie, '/auth/google');
    expect((await legit.get(c.location!)).status).toBe(302);
    legit.setCookie(t.host, 'tg_oauth_state', stateCookie, '/auth/google');
    expect((await legit.get(c.location!)).status).toBe(401);
  });

  it('answers 401 when the user cancels on Google', async () => {
    google.signInAs(null);
    const browser = newBrowser();
    const start = await browser.get(`${t.url}/auth/google`);
    const back = await browser.get(start.location!);
    expect(back.location).toContain('error=access_denied');
    const res = await browser.get(back.location!);
    expect(res.status).toBe(401);
    expect(browser.cookie(t.host, 'tg_session')).toBeUndefined();
  });

  it('answers a generic 401 when the code exchange fails (the client secret was rotated in the console)', async () => {
    google.signInAs(ada);
    google.acceptedClientSecret = 'GOCSPX-rotated';
    try {
      const res = await signInWithGoogle(newBrowser());
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'google_sign_in_failed', detail: 'Sign-in failed.' });
      expect(google.log.tokenRequests.at(-1)!.form.client_secret).toBe(google.clientSecret);
    } finally {
      google.acceptedClientSecret = google.clientSecret;
    }
  });

  it('refuses sign-in to a suspended account', async () => {
    google.signInAs({ sub: '400000000000000000004', email: 'mallory@example.com', email_verified: true, name: 'Mallory', picture: 'https://lh3.googleusercontent.com/a/m' });
    const browser = newBrowser();
    await signInWithGoogle(browser);
    const me = await browser.get(`${t.url}/me`);
    await t.app.get(AccountsService).suspend(me.body.accountId, 'abuse', { actorId: 'test', occurredAt: new Date().toISOString() });
    const res = await signInWithGoogle(newBrowser());
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('account_suspended');
  });

  it('pre-hijacking fails: a stranger’s password sign-up for the address claims nothing; the owner’s Google sign-in gets an account the stranger’s password cannot open', async () => {
    const victim: GoogleUser = { sub: '115550000000000000042', email: 'grace.victim@example.com', email_verified: true, name: 'Grace', picture: null as unknown as string };
    const attacker = newBrowser();
    const asked = Date.now();
    expect((await attacker.post(`${t.url}/auth/register`, { email: victim.email, password: 'attacker password 123', ...AGREED })).status).toBe(202);
    // The link went to the victim's mailbox; the attacker has no account and no way to make one.
    expect((await newBrowser().post(`${t.url}/auth/login`, { email: victim.email, password: 'attacker password 123' })).status).toBe(401);
    const forged = await attacker.post(`${t.url}/auth/register/confirm`, { token: 'eyJlbWFpbCI6ImdyYWNlIn0.AAAA' });
    expect(forged.body.code).toBe('sign_up_link_invalid');

    google.signInAs(victim);
    const owner = newBrowser();
    const signedIn = await signInWithGoogle(owner);
    expect(signedIn.status).toBe(302);
    const me = (await owner.get(`${t.url}/me`)).body;
    expect(me).toMatchObject({ email: victim.email, registeredVia: 'google' });
    // The stranger's password opens nothing, before or after.
    expect((await newBrowser().post(`${t.url}/auth/login`, { email: victim.email, password: 'attacker password 123' })).status).toBe(401);
    // Following the stranger's link now (the victim clicks it) cannot take the address either.
    const token = await mailedSignUpToken(await sharedSmtpSink(), victim.email, asked);
    const late = await newBrowser().post(`${t.url}/auth/register/confirm`, { token });
    expect(late.body.code).toBe('email_taken');
    const { rows } = await t.database.pool.query(`SELECT count(*)::int AS n FROM events WHERE event_type = 'AccountRegistered'`);
    console.log(
      `pre-hijack attempt: stranger's sign-up answered 202, sign-in 401, forged link ${forged.status}; owner's Google account ${me.accountId}; late link ${late.status} ${late.body.code}; ${rows[0].n} accounts in all`,
    );
  });
});
