import { INestApplication } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { CreditsService } from '../../src/ledger/credits.service';
import { cryptoChargeStream } from '../../src/payments/crypto/crypto-charge.events';
import { CryptoReconciler } from '../../src/payments/crypto/crypto-reconciler';
import { PAYMENT_JOBS } from '../../src/payments/payments.tokens';
import { PaymentJobs } from '../../src/payments/queue/payment-jobs';
import { PROJECTION_RUNNER } from '../../src/platform/projection-runtime/projection-runtime.module';
import { ProjectionRunner } from '../../src/platform/projection-runtime/projection-runner';
import { AuthTestApp, startAuthApp } from '../auth/auth-app';
import { CoinbaseStandin, startCoinbaseStandin } from '../standins/coinbase/standin';
import { Browser } from '../support/browser';
import { credits, expectTrialBalanceZero, platform, purchases, readAll, standinCrypto } from './support';
import { registerAndSignIn } from '../support/sign-in';
import { waitFor } from '../support/eventually';

/** What each scenario measured, printed at the end. */
const measured: Record<string, unknown>[] = [];

/**
 * Crypto top-ups end to end: the real app (PostgreSQL, Redis, BullMQ worker) with Razorpay OFF and
 * Coinbase Commerce pointed at the stand-in, which answers the API and delivers signed webhooks
 * over HTTP. Every scenario ends with the trial balance at zero.
 */
describe('payments: crypto top-ups through Coinbase Commerce', () => {
  let standin: CoinbaseStandin;
  let t: AuthTestApp;
  let app: INestApplication;
  let dev: { accountId: string; browser: Browser };

  beforeAll(async () => {
    standin = await startCoinbaseStandin();
    t = await startAuthApp('crypto', {
      appSecret: randomBytes(32).toString('hex'),
      trustProxy: 'loopback',
      shutdownTimeoutMs: 2_000,
      payments: null,
      crypto: standinCrypto(standin),
    });
    app = t.app;
    standin.setWebhookUrl(`${t.url}/webhooks/coinbase-commerce`);
    dev = await registerAndSignIn(app, t.url, `dev-${randomUUID()}@example.com`);
  });
  afterAll(async () => {
    console.log(`crypto top-ups, measured:\n${measured.map((m) => JSON.stringify(m)).join('\n')}`);
    await t?.close();
    await standin?.close();
  });
  beforeEach(() => standin.setWebhookPolicy('deliver'));
  afterEach(async () => {
    await settle();
    await expectTrialBalanceZero(app);
  });

  /** Webhooks delivered, jobs done, read models caught up (twice, since jobs can cause jobs). */
  async function settle(): Promise<void> {
    const jobs = app.get<PaymentJobs>(PAYMENT_JOBS);
    for (let round = 0; round < 2; round++) {
      await standin.whenWebhooksIdle();
      await waitFor(async () => (await jobs.pending()) === 0, 10_000, 'the payments queue to drain', 20);
      await app.get<ProjectionRunner>(PROJECTION_RUNNER).waitUntilCaughtUp();
    }
  }

  async function sweep(): Promise<number> {
    await settle();
    const { chargesQueued } = await app.get(CryptoReconciler).sweep();
    await settle();
    return chargesQueued;
  }

  async function charge(amountUsd = '25.00', who = dev): Promise<string> {
    const res = await who.browser.post(`${t.url}/me/payments/crypto/charges`, { amountUsd });
    expect(res.status).toBe(201);
    return res.body.chargeCode as string;
  }

  /** The micro-USD amounts credited for a charge (strings, so a failed expectation prints across jest workers). */
  async function creditedFor(code: string): Promise<string[]> {
    return (await purchases(app, dev.accountId)).filter((e) => e.data.paymentId === `cc_${code}`).map((e) => e.data.amountMicroUsd as string);
  }

  const eventTypes = async (code: string) => (await readAll(app, cryptoChargeStream(code))).map((e) => e.type);

  it('a charge for a USD amount gives the hosted page; confirmed → credited once into crypto clearing, with network and transaction recorded', async () => {
    const before = await credits(app, dev.accountId);
    const clearingBefore = await platform(app, 'platform:crypto_clearing');
    const res = await dev.browser.post(`${t.url}/me/payments/crypto/charges`, { amountUsd: '25.00' });
    expect(res.status).toBe(201);
    expect(res.body.hostedUrl).toBe(`${standin.url}/hosted/charges/${res.body.chargeCode}`);
    const code = res.body.chargeCode as string;
    expect(standin.charge(code)).toMatchObject({
      pricing_type: 'fixed_price',
      pricing: { local: { amount: '25.00', currency: 'USD' } },
      metadata: { tollgateAccountId: dev.accountId },
    });

    const paid = standin.pay(code, { usd: '25.00', network: 'base', cryptoCurrency: 'USDC' });
    await settle();
    expect(await creditedFor(code)).toEqual([]); // PENDING: seen on chain, not confirmed
    standin.confirm(code);
    await settle();

    expect(await creditedFor(code)).toEqual(['25000000']);
    expect(String(await credits(app, dev.accountId))).toBe(String(before + 25_000_000n));
    expect(String(await platform(app, 'platform:crypto_clearing'))).toBe(String(clearingBefore + 25_000_000n));
    const purchase = (await purchases(app, dev.accountId)).find((e) => e.data.paymentId === `cc_${code}`)!;
    expect(purchase.data.postings).toEqual([
      { account: 'platform:crypto_clearing', amountMicroUsd: '25000000' },
      { account: `developer:${dev.accountId}`, amountMicroUsd: '-25000000' },
    ]);
    const credited = (await readAll(app, cryptoChargeStream(code))).find((e) => e.type === 'CryptoChargeCredited')!;
    expect(credited.data).toMatchObject({
      basis: 'completed',
      status: 'COMPLETED',
      amountMicroUsd: '25000000',
      payments: [{ network: 'base', transactionId: paid.transaction_id, status: 'CONFIRMED', localMicroUsd: '25000000', cryptoCurrency: 'USDC' }],
    });
    const view = await dev.browser.get(`${t.url}/me/payments/crypto/charges/${code}`);
    expect(view.body).toMatchObject({
      chargeCode: code,
      amountUsd: '25.00',
      status: 'COMPLETED',
      credited: true,
      creditedUsd: '25.00',
      payments: [{ network: 'base', transactionId: paid.transaction_id }],
    });
    measured.push({ scenario: 'confirmed', webhooks: standin.deliveries.length, credits: await creditedFor(code), references: `${paid.transaction_id.slice(0, 12)}… on base` });
  });

  it('duplicate and reordered webhooks: every event twice, newest first → one credit', async () => {
    const code = await charge('40.00');
    await settle();
    standin.setWebhookPolicy('hold');
    standin.pay(code, { usd: '40.00' });
    standin.confirm(code);
    const held = standin.heldCount();
    const deliveriesBefore = standin.deliveries.length;
    standin.flush({ reverse: true, duplicate: true });
    await settle();
    const answers = standin.deliveries.slice(deliveriesBefore).map((d) => d.status);
    expect(answers.filter((s) => s !== 200)).toEqual([]);
    expect(await creditedFor(code)).toEqual(['40000000']);
    expect((await eventTypes(code)).filter((t) => t === 'CryptoChargeCredited')).toHaveLength(1);
    // The older news (charge:pending) arriving last does not turn the charge back to PENDING.
    expect((await dev.browser.get(`${t.url}/me/payments/crypto/charges/${code}`)).body).toMatchObject({ status: 'COMPLETED', credited: true });
    measured.push({ scenario: 'duplicate+reversed', eventsHeld: held, deliveries: answers.length, credits: await creditedFor(code) });
  });

  it('missed webhooks: nothing arrives, the sweep re-fetches the open charge and credits it once; sweeping again changes nothing', async () => {
    const code = await charge('30.00');
    await settle(); // the charge:created look-up is done before webhooks go missing
    standin.setWebhookPolicy('drop');
    standin.pay(code, { usd: '30.00' });
    standin.confirm(code);
    await settle();
    expect(await creditedFor(code)).toEqual([]);
    const queued = await sweep();
    expect(await creditedFor(code)).toEqual(['30000000']);
    const queuedAgain = await sweep();
    expect(queuedAgain).toBe(0); // credited charges are not looked up again
    // A late duplicate webhook after the sweep credited it: still one credit.
    standin.setWebhookPolicy('deliver');
    const late = standin.webhookBody(code, 'charge:confirmed');
    const res = await fetch(`${t.url}/webhooks/coinbase-commerce`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-cc-webhook-signature': standin.sign(late.body) },
      body: late.body,
    });
    expect(res.status).toBe(200);
    await settle();
    expect(await creditedFor(code)).toEqual(['30000000']);
    measured.push({ scenario: 'missed webhooks', sweepQueued: queued, secondSweepQueued: queuedAgain, credits: await creditedFor(code) });
  });

  it('a crash between the credit and the charge record: the retry records the purchase that exists, never a second one', async () => {
    const code = await charge('25.00');
    await settle();
    standin.setWebhookPolicy('drop');
    standin.pay(code, { usd: '25.00' });
    standin.confirm(code);
    await settle();
    // What the worker would have done before dying: the credit, without CryptoChargeCredited.
    await app
      .get(CreditsService)
      .recordPurchase(
        dev.accountId,
        { paymentId: `cc_${code}`, orderId: `cc_${code}`, amountMicroUsd: 25_000_000n, clearing: 'crypto' },
        { actorId: 'system:payments', occurredAt: new Date().toISOString() },
      );
    expect(await eventTypes(code)).not.toContain('CryptoChargeCredited');
    await sweep();
    expect(await creditedFor(code)).toEqual(['25000000']);
    expect((await eventTypes(code)).filter((t) => t === 'CryptoChargeCredited')).toHaveLength(1);
    measured.push({ scenario: 'crash between steps', credits: await creditedFor(code), chargeCredited: 1 });
  });

  it('underpaid: nothing until the merchant resolves it, then only what arrived', async () => {
    const code = await charge('25.00');
    standin.pay(code, { usd: '20.00', network: 'bitcoin', cryptoCurrency: 'BTC' });
    standin.confirm(code);
    await settle();
    expect(standin.status(code)).toBe('UNRESOLVED');
    expect(await creditedFor(code)).toEqual([]);
    expect(await sweep()).toBeGreaterThan(0); // still open: the sweep looks again, and still credits nothing
    expect(await creditedFor(code)).toEqual([]);
    standin.resolve(code);
    await settle();
    expect(await creditedFor(code)).toEqual(['20000000']);
    const credited = (await readAll(app, cryptoChargeStream(code))).find((e) => e.type === 'CryptoChargeCredited')!;
    expect(credited.data).toMatchObject({ basis: 'resolved', status: 'RESOLVED', context: 'UNDERPAID' });
    measured.push({ scenario: 'underpaid 20.00 of 25.00', beforeResolve: '0', afterResolve: await creditedFor(code) });
  });

  it('overpaid: the confirmed amount is credited (all of it, at once)', async () => {
    const code = await charge('25.00');
    standin.pay(code, { usd: '30.00' });
    standin.confirm(code);
    await settle();
    expect(standin.status(code)).toBe('UNRESOLVED');
    expect(await creditedFor(code)).toEqual(['30000000']);
    // The merchant resolving it later changes nothing: credited once.
    standin.resolve(code);
    await settle();
    expect(await creditedFor(code)).toEqual(['30000000']);
    measured.push({ scenario: 'overpaid 30.00 on 25.00', credits: await creditedFor(code) });
  });

  it('expired and canceled: nothing; a payment after expiry (delayed) is credited only once resolved', async () => {
    const expired = await charge('25.00');
    const canceled = await charge('25.00');
    standin.expire(expired);
    standin.cancel(canceled);
    await settle();
    await sweep();
    expect(await creditedFor(expired)).toEqual([]);
    expect(await creditedFor(canceled)).toEqual([]);
    standin.pay(expired, { usd: '25.00' });
    standin.confirm(expired);
    await settle();
    expect(standin.charge(expired)!.timeline.at(-1)).toMatchObject({ status: 'UNRESOLVED', context: 'DELAYED' });
    expect(await creditedFor(expired)).toEqual([]);
    standin.resolve(expired);
    await settle();
    expect(await creditedFor(expired)).toEqual(['25000000']);
    measured.push({ scenario: 'expired/canceled/delayed', canceled: '0', delayedBeforeResolve: '0', delayedAfterResolve: await creditedFor(expired) });
  });

  it('forged, unsigned and lying webhooks are refused or change nothing', async () => {
    const code = await charge('25.00');
    const post = (body: string, headers: Record<string, string>) =>
      fetch(`${t.url}/webhooks/coinbase-commerce`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const claimsPaid = (c: { timeline: { time: string; status: string }[] }) => c.timeline.push({ time: new Date().toISOString(), status: 'COMPLETED' });
    const forged = standin.webhookBody(code, 'charge:confirmed', claimsPaid);
    const answers: Record<string, number> = {};
    answers.wrongSecret = (await post(forged.body, { 'x-cc-webhook-signature': standin.sign(forged.body, 'not-the-secret') })).status;
    answers.unsigned = (await post(forged.body, {})).status;
    answers.tamperedAfterSigning = (await post(forged.body.replace('25.00', '2500.00'), { 'x-cc-webhook-signature': standin.sign(forged.body) })).status;
    const refused = await post(forged.body, { 'x-cc-webhook-signature': 'ab'.repeat(32) });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { code: string }).code).toBe('invalid_signature');
    // Signed with the real secret but lying about the charge (still NEW at Coinbase): the re-fetch wins.
    answers.signedButLying = (await post(forged.body, { 'x-cc-webhook-signature': standin.sign(forged.body) })).status;
    await settle();
    expect(answers).toEqual({ wrongSecret: 400, unsigned: 400, tamperedAfterSigning: 400, signedButLying: 200 });
    expect(await creditedFor(code)).toEqual([]);
    measured.push({ scenario: 'forged webhooks', answers, credits: '0' });
  });

  it('limits and ownership: the Razorpay top-up limits; another developer’s charge is a 404', async () => {
    const tooSmall = await dev.browser.post(`${t.url}/me/payments/crypto/charges`, { amountUsd: '4.99' });
    const tooBig = await dev.browser.post(`${t.url}/me/payments/crypto/charges`, { amountUsd: '1000.01' });
    const notCents = await dev.browser.post(`${t.url}/me/payments/crypto/charges`, { amountUsd: '10.001' });
    const junk = await dev.browser.post(`${t.url}/me/payments/crypto/charges`, { amountUsd: 'lots' });
    expect([tooSmall.status, tooBig.status, notCents.status, junk.status]).toEqual([400, 400, 400, 400]);
    expect(tooSmall.body.code).toBe('amount_out_of_range');
    const code = await charge('10.00');
    const other = await registerAndSignIn(app, t.url, `other-${randomUUID()}@example.com`);
    expect((await other.browser.get(`${t.url}/me/payments/crypto/charges/${code}`)).status).toBe(404);
    expect((await other.browser.get(`${t.url}/me/payments/crypto/charges/not-a-code`)).status).toBe(400);
    // Razorpay is off in this app: its routes say so, crypto still works.
    expect((await dev.browser.post(`${t.url}/me/payments/orders`, { amountUsd: '10.00' })).body.code).toBe('payments_disabled');
    measured.push({ scenario: 'limits', answers: [tooSmall.status, tooBig.status, notCents.status, junk.status], foreignCharge: 404 });
  });
});

describe('payments: crypto top-ups off', () => {
  it('answers 404 crypto_payments_disabled on every crypto route when COINBASE_COMMERCE_API_KEY is unset', async () => {
    const t = await startAuthApp('crypto-off', { payments: null, crypto: null });
    try {
      const dev = await registerAndSignIn(t.app, t.url, `dev-${randomUUID()}@example.com`);
      const create = await dev.browser.post(`${t.url}/me/payments/crypto/charges`, { amountUsd: '25.00' });
      const view = await dev.browser.get(`${t.url}/me/payments/crypto/charges/ABCD1234`);
      const hook = await fetch(`${t.url}/webhooks/coinbase-commerce`, { method: 'POST', body: '{}' });
      expect([create.status, view.status, hook.status]).toEqual([404, 404, 404]);
      expect(create.body.code).toBe('crypto_payments_disabled');
      console.log(`crypto off: POST charges ${create.status}, GET charge ${view.status}, webhook ${hook.status}`);
    } finally {
      await t.close();
    }
  });
});
