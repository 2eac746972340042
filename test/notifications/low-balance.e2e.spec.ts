import OpenAI from 'openai';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { Position } from '../../src/platform/event-store/event-store.port';
import { CreditsService } from '../../src/ledger/credits.service';
import { formatUsd } from '../../src/platform/money';
import { BalanceFeeder } from '../../src/ledger/spending/balance-feeder';
import { LOW_BALANCE_CHECKPOINT, LowBalanceReactor } from '../../src/notifications/low-balance/low-balance.reactor';
import { writeCheckpoint } from '../../src/platform/projection-runtime/checkpoint';
import { newBrowser } from '../auth/auth-app';
import { ctx, InferenceHarness, MODEL, startInferenceHarness } from '../inference/harness';
import { Browser } from '../support/browser';
import { eventually } from '../support/eventually';
import { ReceivedMail, sharedSmtpSink, SmtpSink } from '../support/smtp-sink';
import { AGREED } from '../support/eligibility';

const PASSWORD = 'correct horse battery staple';
const SUBJECT = /^Your Tollgate balance is below /;

interface Dev {
  accountId: string;
  email: string;
  browser: Browser;
  openai: OpenAI;
}

/**
 * Issue 16, item 2 (low balance): spending through /v1 across the threshold the developer set
 * mails once, however many requests follow below it; a top-up re-arms it; a restart and a replay
 * of the worker mail nothing again.
 */
describe('low-balance alerts: once per crossing of the developer’s threshold', () => {
  let h: InferenceHarness;
  let sink: SmtpSink;
  let admin: Browser;
  let n = 0;

  beforeAll(async () => {
    sink = await sharedSmtpSink();
    h = await startInferenceHarness('low_balance');
    await h.t.app.get(AccountsService).register({ email: 'low-balance-admin@example.com', password: PASSWORD, via: 'cli', eligibility: AGREED, roles: ['admin'] }, ctx());
    admin = newBrowser();
    expect((await admin.post(`${h.t.url}/auth/login`, { email: 'low-balance-admin@example.com', password: PASSWORD })).status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  async function developer(microUsd: bigint): Promise<Dev> {
    const email = `low-balance-${++n}@example.com`;
    const app = h.t.app;
    const { accountId } = await app.get(AccountsService).register({ email, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: [] }, ctx());
    const { position } = await app.get(CreditsService).grant(accountId, microUsd, 'test credits', ctx());
    await app.get(BalanceFeeder).waitUntilPassed(position as Position);
    await h.t.caughtUp();
    const { key } = await app.get(ApiKeysService).issue(accountId, { name: 'test', limits: { requestsPerMinute: 1_000 } }, ctx());
    const browser = newBrowser();
    expect((await browser.post(`${h.t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
    return { accountId, email, browser, openai: new OpenAI({ apiKey: key, baseURL: `${h.t.url}/v1`, maxRetries: 0, timeout: 20_000 }) };
  }

  /**
   * One request. max_tokens above what the engine stand-in answers (5 tokens): a node reporting more
   * than the bound is a discrepancy, and enough of them suspend it (node trust).
   */
  const ask = async (dev: Dev) => {
    await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 16 });
  };
  /** The balance once every charge is in it (nothing held: no request in flight, none waiting for the feeder). */
  const balance = (dev: Dev): Promise<bigint> =>
    eventually(
      async () => {
        const credits = (await dev.browser.get(`${h.t.url}/me/credits`)).body;
        expect(credits.heldMicroUsd).toBe('0');
        return BigInt(credits.balanceMicroUsd);
      },
      15_000,
      50,
    );
  const watch = (dev: Dev) => h.t.database.db.selectFrom('low_balance_watch').selectAll().where('account_id', '=', dev.accountId).executeTakeFirst();
  /** The worker has applied every charge: its balance is the ledger's. */
  const settled = async (dev: Dev) => {
    const expected = await balance(dev);
    await eventually(async () => expect((await watch(dev))?.balance_micro_usd).toBe(expected.toString()), 15_000, 50);
    return expected;
  };
  const alerts = (dev: Dev): ReceivedMail[] => sink.to(dev.email).filter((m) => SUBJECT.test(m.subject));
  const setThreshold = async (dev: Dev, thresholdMicroUsd: bigint) => {
    const res = await dev.browser.request('PATCH', `${h.t.url}/me/notifications`, { lowBalanceThresholdUsd: formatUsd(thresholdMicroUsd) });
    expect(res.status).toBe(200);
    await eventually(async () => expect((await watch(dev))?.threshold_micro_usd).toBe(thresholdMicroUsd.toString()), 15_000, 50);
  };
  const grant = async (dev: Dev, microUsd: bigint) => {
    const res = await admin.post(`${h.t.url}/admin/accounts/${dev.accountId}/credits/grants`, { amountUsd: formatUsd(microUsd), reason: 'top-up in a test' });
    expect(res.status).toBe(201);
  };
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  let dev: Dev;
  let cost: bigint;
  /** The worker's row as the threshold left it, before any charge moved it. */
  let seeded: Awaited<ReturnType<typeof watch>>;

  it('spending across the threshold mails once however many requests follow; a top-up re-arms; a second crossing mails again', async () => {
    dev = await developer(1_000_000n);
    await ask(dev);
    const afterOne = await balance(dev);
    cost = 1_000_000n - afterOne;
    expect(cost).toBeGreaterThan(0n);
    // Crossed by the third request from here; then ten more below it.
    const threshold = afterOne - 2n * cost - cost / 2n;
    await setThreshold(dev, threshold);
    seeded = await watch(dev);
    expect(alerts(dev)).toHaveLength(0); // set above the threshold: nothing to say yet
    // Twelve at once: the charges land in any order, the crossing is still one event.
    await Promise.all(Array.from({ length: 12 }, () => ask(dev)));
    const low = await settled(dev);
    const first = await sink.waitFor((m) => m.to.includes(dev.email) && SUBJECT.test(m.subject));
    await pause(500);
    console.log(
      `cost per request ${cost} micro-USD; threshold ${formatUsd(threshold)} USD; 13 requests (12 concurrent), balance ${formatUsd(afterOne)} → ${formatUsd(low)} USD: ${alerts(dev).length} low-balance mail(s)`,
    );
    expect(alerts(dev)).toHaveLength(1);
    expect(first.category).toBe('low-balance');
    expect(first.subject).toBe(`Your Tollgate balance is below ${formatUsd(threshold)} USD`);
    expect(first.text).toContain(`fell to ${formatUsd(afterOne - 3n * cost)} USD`); // the request that crossed
    expect(first.text).toContain('You received this because you set a low-balance alert');
    expect(first.text).toContain('lowBalanceThresholdUsd');
    expect(first.listUnsubscribePost).toBe('List-Unsubscribe=One-Click');

    // A top-up to just above the threshold re-arms it (no mail); spending below it again mails a second time.
    await grant(dev, threshold - low + 2n * cost);
    await eventually(async () => expect((await watch(dev))?.alerted).toBe(false), 15_000, 50);
    expect(alerts(dev)).toHaveLength(1);
    for (let i = 0; i < 8; i++) await ask(dev);
    await settled(dev);
    await sink.waitFor((m) => m.to.includes(dev.email) && SUBJECT.test(m.subject) && m.notificationId !== first.notificationId);
    await pause(500);
    const ids = alerts(dev).map((m) => m.notificationId);
    console.log(`after a top-up and 8 more requests: ${ids.length} low-balance mails (${ids.join(', ')})`);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
  }, 60_000);

  it('a restart of the worker and a replay of every event from the start mail nothing again, even with the worker’s rows lost since the threshold was set', async () => {
    const before = alerts(dev).length;
    const now = await settled(dev);
    const reactor = h.t.app.get(LowBalanceReactor);
    await reactor.stop();
    // As if the worker had died after queuing each mail but before saving its row: back to the row the threshold left.
    const { account_id: _id, ...row } = seeded as NonNullable<typeof seeded>;
    await h.t.database.db.updateTable('low_balance_watch').set(row).where('account_id', '=', dev.accountId).execute();
    await writeCheckpoint(h.t.database.db, LOW_BALANCE_CHECKPOINT, null); // replay all of $all
    reactor.start();
    // A marker after the replay: a threshold set above the balance mails at once, so once it
    // arrives, every replayed event was handled before it.
    const marker = await developer(1_000_000n);
    await setThreshold(marker, 2_000_000n);
    const markerMail = await sink.waitFor((m) => m.to.includes(marker.email) && SUBJECT.test(m.subject), 15_000);
    expect(markerMail.text).toContain('fell to 1.00 USD');
    await pause(500);
    // The replay recomputed the same balance, and queued the same two crossings under the same ids (the mail log says sent).
    expect((await watch(dev))?.balance_micro_usd).toBe(now.toString());
    const queuedAgain = await h.t.database.db
      .selectFrom('mail_log')
      .select(['notification_id', 'outcome'])
      .where(
        'notification_id',
        'in',
        alerts(dev).map((m) => m.notificationId),
      )
      .execute();
    console.log(
      `replay from the start of $all with the rows rolled back: ${alerts(dev).length - before} low-balance mails again; mail log ${JSON.stringify(queuedAgain.map((r) => r.outcome))}`,
    );
    expect(alerts(dev)).toHaveLength(before);
  }, 60_000);

  it('turned off with the mail’s own one-click link: the next crossing is logged as skipped, not mailed', async () => {
    const [mail] = alerts(dev);
    const link = (/^<([^>]+)>$/.exec(mail.listUnsubscribe)?.[1] as string).replace(/^https?:\/\/[^/]+/, h.t.url);
    expect((await newBrowser().post(link, new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }))).status).toBe(200);
    const before = alerts(dev).length;
    const low = await settled(dev);
    const threshold = BigInt((await watch(dev))?.threshold_micro_usd as string);
    await grant(dev, threshold - low + cost);
    await eventually(async () => expect((await watch(dev))?.alerted).toBe(false), 15_000, 50);
    for (let i = 0; i < 3; i++) await ask(dev);
    await settled(dev);
    const skipped = await eventually(
      async () => {
        const rows = await h.t.database.db.selectFrom('mail_log').selectAll().where('notification_id', 'like', 'low-balance-%').where('outcome', '=', 'skipped').execute();
        expect(rows.length).toBeGreaterThan(0);
        return rows;
      },
      15_000,
      50,
    );
    await pause(300);
    console.log(`after unsubscribing: ${alerts(dev).length - before} mails, ${skipped.length} logged as skipped`);
    expect(alerts(dev)).toHaveLength(before);
  }, 60_000);
});
