import { createHash, createHmac } from 'node:crypto';
import { creditsDecider } from '../../src/ledger/credits/credits.decide';
import { CreditsEvent } from '../../src/ledger/credits.events';
import { AuthTestApp, confirmEligibility, newBrowser, startAuthApp } from '../auth/auth-app';
import { mailedSignUpToken, sharedSmtpSink } from '../support/smtp-sink';
import { given } from '../support/decider-spec';
import { eventually } from '../support/eventually';
import { AGREED } from '../support/eligibility';

const at = '2026-11-22T10:00:00.000Z';
const accountId = 'acct-1';
const dev = 'developer:acct-1';
const BOT_TOKEN = '7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';
const PASSWORD = 'correct horse battery staple';

/** What Telegram's login widget hands the page, signed with our bot's token. */
function widgetPayload(fields: Record<string, string | number>): Record<string, string | number> {
  const dataCheckString = Object.keys(fields)
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('\n');
  return { ...fields, hash: createHmac('sha256', createHash('sha256').update(BOT_TOKEN).digest()).update(dataCheckString).digest('hex') };
}

describe('P15: a free-tier allowance exists and cannot be farmed with duplicate accounts', () => {
  describe('the credits decider', () => {
    const granted: CreditsEvent = {
      type: 'FreeTierGranted',
      data: {
        accountId,
        amountMicroUsd: '1000000',
        grantedAt: at,
        postings: [
          { account: 'platform:promotions', amountMicroUsd: '1000000' },
          { account: dev, amountMicroUsd: '-1000000' },
        ],
      },
    };
    it('grants the configured amount once', () => given(creditsDecider, []).when({ type: 'GrantFreeTier', accountId, amountMicroUsd: 1_000_000n, at }).then([granted]));
    it('never twice for one account', () => given(creditsDecider, [granted]).when({ type: 'GrantFreeTier', accountId, amountMicroUsd: 1_000_000n, at }).then([]));
    it('does nothing when the free tier is 0', () => given(creditsDecider, []).when({ type: 'GrantFreeTier', accountId, amountMicroUsd: 0n, at }).then([]));
  });

  describe('sign-in', () => {
    let t: AuthTestApp;
    beforeAll(async () => {
      t = await startAuthApp('policy_p15', { telegramBotToken: BOT_TOKEN });
    });
    afterAll(async () => {
      await t?.close();
    });

    const grantsOf = async (id: string) =>
      (await t.database.pool.query(`SELECT data, metadata FROM events WHERE stream = $1 AND event_type = 'FreeTierGranted'`, [`credits-${id}`])).rows;

    it('one verified identity gets one account and one grant, however many sign-ins race', async () => {
      const fields = { id: 515151, first_name: 'Ada', auth_date: Math.floor(Date.now() / 1000) };
      const browsers = Array.from({ length: 6 }, () => newBrowser());
      const answers = await Promise.all(browsers.map((b) => b.post(`${t.url}/auth/telegram`, widgetPayload(fields))));
      // Every racer is signed in, all to the one account the winner of the identity claim registered.
      expect(answers.map((a) => `${a.status} ${a.body.code ?? ''}`.trim())).toEqual(answers.map(() => '200'));
      const ids = new Set(answers.map((a) => a.body.accountId as string));
      expect(ids.size).toBe(1);
      const [id] = ids;
      expect(answers.filter((a) => a.body.created).length).toBe(1);
      const { rows: registered } = await t.database.pool.query(`SELECT count(*)::int AS n FROM events WHERE event_type = 'AccountRegistered' AND data->>'via' = 'telegram'`);
      expect(registered[0].n).toBe(1);
      expect(await grantsOf(id)).toEqual([
        expect.objectContaining({ data: expect.objectContaining({ amountMicroUsd: '1000000' }), metadata: expect.objectContaining({ actorId: 'system:free-tier' }) }),
      ]);
      const again = await newBrowser().post(`${t.url}/auth/telegram`, widgetPayload({ ...fields, auth_date: Math.floor(Date.now() / 1000) }));
      expect(again.body).toMatchObject({ accountId: id, created: false });
      expect(await grantsOf(id)).toHaveLength(1);
      await confirmEligibility(browsers[0], t.url);
      await eventually(async () => expect((await browsers[0].get(`${t.url}/me/credits`)).body).toMatchObject({ availableUsd: '1.00' }));
    });

    it('a password sign-up gets no account and no free tier until its emailed link is followed; then one grant, once', async () => {
      const email = `p15-${Date.now()}@example.com`;
      const browser = newBrowser();
      const asked = Date.now();
      expect((await browser.post(`${t.url}/auth/register`, { email, password: PASSWORD, ...AGREED })).status).toBe(202);
      // Nothing exists yet: the address cannot sign in, and nothing was granted to anyone.
      expect((await newBrowser().post(`${t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(401);
      const { rows: before } = await t.database.pool.query(`SELECT count(*)::int AS n FROM events WHERE event_type IN ('AccountRegistered', 'FreeTierGranted')`);
      const token = await mailedSignUpToken(await sharedSmtpSink(), email, asked);
      const confirmed = await browser.post(`${t.url}/auth/register/confirm`, { token });
      expect(confirmed.status).toBe(201);
      const id = confirmed.body.accountId as string;
      await eventually(async () => expect((await browser.get(`${t.url}/me/credits`)).body).toMatchObject({ availableUsd: '1.00' }));
      // The same link again (a second tab, a replay): refused, and no second account or grant.
      expect((await newBrowser().post(`${t.url}/auth/register/confirm`, { token })).body.code).toBe('sign_up_link_used');
      const { rows: after } = await t.database.pool.query(`SELECT count(*)::int AS n FROM events WHERE event_type IN ('AccountRegistered', 'FreeTierGranted')`);
      expect(after[0].n - before[0].n).toBe(2);
      expect(await grantsOf(id)).toHaveLength(1);
    });
  });
});
