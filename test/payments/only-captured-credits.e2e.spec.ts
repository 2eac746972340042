import { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PaymentSweep } from '../../src/payments/reconcile/payment-sweep';
import { AuthTestApp } from '../auth/auth-app';
import { RazorpayStandin } from '../standins/razorpay/standin';
import { Browser } from '../support/browser';
import { credits, expectTrialBalanceZero, purchases, reportFor, settle, startPaymentsApp } from './support';
import { registerAndSignIn } from '../support/sign-in';

/**
 * Only money Razorpay captured for our order becomes credit (issue 15, item 1). Razorpay
 * auto-refunds a second payment on an order that is already paid, and an authorized payment
 * nobody captured; both end `refunded` with `captured: false`. Neither may credit anything:
 * each is a discrepancy for finance, from the worker and in the reconciliation report.
 */
describe('payments: only captured money becomes credit', () => {
  let env: Awaited<ReturnType<typeof startPaymentsApp>>;
  let standin: RazorpayStandin;
  let t: AuthTestApp;
  let app: INestApplication;
  let dev: { accountId: string; browser: Browser };
  let finance: { accountId: string; browser: Browser };
  let started: Date;

  beforeAll(async () => {
    env = await startPaymentsApp('captured');
    ({ standin, t } = env);
    app = t.app;
    dev = await registerAndSignIn(app, t.url, `dev-${randomUUID()}@example.com`);
    finance = await registerAndSignIn(app, t.url, `finance-${randomUUID()}@example.com`, ['finance']);
  });
  afterAll(async () => {
    await env?.close();
  });
  beforeEach(() => {
    started = new Date();
    standin.setWebhookPolicy({ kind: 'inOrder' });
  });
  afterEach(async () => {
    await settle(app, standin);
    await expectTrialBalanceZero(app);
  });

  async function order(amountUsd: string): Promise<string> {
    const res = await dev.browser.post(`${t.url}/me/payments/orders`, { amountUsd });
    expect(res.status).toBe(201);
    return res.body.orderId as string;
  }

  async function workerDiscrepancies(paymentIds: string[]): Promise<[string, string][]> {
    await t.caughtUp();
    const res = await finance.browser.get(`${t.url}/finance/payments/discrepancies`);
    return (res.body as { kind: string; paymentId: string; source: string }[])
      .filter((d) => d.source === 'worker' && paymentIds.includes(d.paymentId))
      .map((d) => [d.kind, d.paymentId]);
  }

  it('one order paid twice from two Checkout tabs credits once; the auto-refunded duplicate is a discrepancy in the report', async () => {
    const before = await credits(app, dev.accountId);
    const orderId = await order('25.00');
    const tabA = standin.pay(orderId, { outcome: 'captured' });
    const tabB = standin.pay(orderId, { outcome: 'captured' }); // the order is paid: authorised, then auto-refunded
    expect(standin.payment(tabB.payment.id)).toMatchObject({ status: 'refunded', captured: false });
    // Both tabs post their (validly signed) Checkout responses.
    for (const tab of [tabA, tabB]) expect((await dev.browser.post(`${t.url}/me/payments/orders/${orderId}/checkout`, tab.checkout)).status).toBe(202);
    await settle(app, standin);
    await app.get(PaymentSweep).sweep();
    await settle(app, standin);

    const credited = (await purchases(app, dev.accountId)).filter((e) => e.data.orderId === orderId);
    const after = await credits(app, dev.accountId);
    const { found } = await reportFor(app, started, [tabA.payment.id, tabB.payment.id]);
    console.log(`two tabs, one order of 25.00: ${credited.length} credit(s), balance +${(after - before) / 10_000n} cents; report: ${JSON.stringify(found.map((f) => f.kind))}`);
    expect(credited.map((e) => e.data.paymentId)).toEqual([tabA.payment.id]);
    expect(after).toBe(before + 25_000_000n);
    // Only the duplicate is a discrepancy. Its kind depends on which the worker saw first: tab A's credit
    // (duplicate_payment), or tab B's auto-refund before A was credited (not_captured); both are true of it.
    const recorded = await workerDiscrepancies([tabA.payment.id, tabB.payment.id]);
    console.log(`worker recorded for the duplicate: ${JSON.stringify(recorded.filter(([, id]) => id === tabB.payment.id).map(([kind]) => kind))}`);
    expect(recorded.map(([, id]) => id)).toContain(tabB.payment.id);
    expect(recorded.filter(([kind, id]) => id !== tabB.payment.id || (kind !== 'duplicate_payment' && kind !== 'not_captured'))).toEqual([]);
    expect(found).toEqual([{ kind: 'duplicate_payment', paymentId: tabB.payment.id }]);
    const rows = (await finance.browser.get(`${t.url}/finance/payments?accountId=${dev.accountId}`)).body as { paymentId: string }[];
    expect(rows.find((r) => r.paymentId === tabB.payment.id)).toMatchObject({ razorpayStatus: 'refunded', captured: false, ledgerStatus: 'not_credited', mismatch: false });
    const view = await dev.browser.get(`${t.url}/me/payments/orders/${orderId}`);
    expect(view.body.payments).toEqual(
      expect.arrayContaining([
        { paymentId: tabA.payment.id, razorpayStatus: 'captured', credited: true },
        { paymentId: tabB.payment.id, razorpayStatus: 'refunded', credited: false },
      ]),
    );
  });

  it('an authorized payment nobody captured, auto-refunded at the capture timeout, credits nothing and is reported', async () => {
    const before = await credits(app, dev.accountId);
    standin.setWebhookPolicy({ kind: 'manual' }); // the worker hears of it only after Razorpay gave the money back
    const orderId = await order('12.00');
    const paid = standin.pay(orderId, { outcome: 'authorized' });
    standin.expireAuthorization(paid.payment.id);
    await standin.deliverAll();
    expect((await dev.browser.post(`${t.url}/me/payments/orders/${orderId}/checkout`, paid.checkout)).status).toBe(202);
    await settle(app, standin);
    await app.get(PaymentSweep).sweep();
    await settle(app, standin);

    expect((await purchases(app, dev.accountId)).filter((e) => e.data.orderId === orderId)).toEqual([]);
    expect(await credits(app, dev.accountId)).toBe(before);
    expect(standin.payment(paid.payment.id)).toMatchObject({ status: 'refunded', captured: false }); // never captured by us either
    expect(await workerDiscrepancies([paid.payment.id])).toEqual([['not_captured', paid.payment.id]]);
    expect((await reportFor(app, started, [paid.payment.id])).found).toEqual([{ kind: 'not_captured', paymentId: paid.payment.id }]);
  });

  it('a second payment authorised before the first was captured is left uncaptured, credits nothing, and is reported', async () => {
    const before = await credits(app, dev.accountId);
    standin.setWebhookPolicy({ kind: 'manual' });
    const orderId = await order('9.00');
    const first = standin.pay(orderId, { outcome: 'authorized' });
    const second = standin.pay(orderId, { outcome: 'authorized' }); // both tabs authorised; the order is not paid yet
    await dev.browser.post(`${t.url}/me/payments/orders/${orderId}/checkout`, first.checkout);
    await settle(app, standin);
    await dev.browser.post(`${t.url}/me/payments/orders/${orderId}/checkout`, second.checkout);
    await standin.deliverAll();
    await settle(app, standin);

    expect(standin.payment(first.payment.id)).toMatchObject({ status: 'captured', captured: true });
    expect(standin.payment(second.payment.id)).toMatchObject({ status: 'authorized', captured: false }); // left for Razorpay to auto-refund
    expect((await purchases(app, dev.accountId)).filter((e) => e.data.orderId === orderId).map((e) => e.data.paymentId)).toEqual([first.payment.id]);
    expect(await credits(app, dev.accountId)).toBe(before + 9_000_000n);
    expect(await workerDiscrepancies([first.payment.id, second.payment.id])).toEqual([['duplicate_payment', second.payment.id]]);

    standin.expireAuthorization(second.payment.id);
    await standin.deliverAll();
    await settle(app, standin);
    expect(await credits(app, dev.accountId)).toBe(before + 9_000_000n);
    expect((await reportFor(app, started, [first.payment.id, second.payment.id])).found).toEqual([{ kind: 'duplicate_payment', paymentId: second.payment.id }]);
  });

  it('payment.failed credits nothing and needs no finance attention', async () => {
    const before = await credits(app, dev.accountId);
    const orderId = await order('6.00');
    const failed = standin.pay(orderId, { outcome: 'failed' });
    expect(failed.checkout).toBeNull();
    await settle(app, standin);
    expect(await credits(app, dev.accountId)).toBe(before);
    expect(await workerDiscrepancies([failed.payment.id])).toEqual([]);
    expect((await reportFor(app, started, [failed.payment.id])).found).toEqual([]);
  });
});
