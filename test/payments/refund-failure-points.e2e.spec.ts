import { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { unavailable } from '../../src/platform/errors/domain-error';
import { CreditsService } from '../../src/ledger/credits.service';
import { LedgerQueries } from '../../src/ledger/ledger.queries';
import { MAX_REFUNDS_PER_ORDER } from '../../src/payments/payment-order/payment.decide';
import { PaymentReconciler } from '../../src/payments/reconcile/payment-reconciler';
import { PaymentSweep, REFUND_RESUME_AFTER_MS } from '../../src/payments/reconcile/payment-sweep';
import { AuthTestApp } from '../auth/auth-app';
import { razorpayClient } from '../standins/razorpay/sdk';
import { RazorpayStandin } from '../standins/razorpay/standin';
import { Browser } from '../support/browser';
import { credits, expectTrialBalanceZero, readAll, settle, startPaymentsApp } from './support';
import { registerAndSignIn } from '../support/sign-in';

/**
 * A refund never strands credits (issue 15, item 2): every failure point of an admin refund,
 * with the developer's balance (ledger and spendable) and the trial balance checked after each.
 */
describe('payments: every failure point of a refund leaves the balance and the trial balance right', () => {
  let env: Awaited<ReturnType<typeof startPaymentsApp>>;
  let standin: RazorpayStandin;
  let t: AuthTestApp;
  let app: INestApplication;
  let admin: { accountId: string; browser: Browser };

  beforeAll(async () => {
    env = await startPaymentsApp('refund-points');
    ({ standin, t } = env);
    app = t.app;
    admin = await registerAndSignIn(app, t.url, `admin-${randomUUID()}@example.com`, ['admin']);
  });
  afterAll(async () => {
    await env?.close();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    standin.clearFaults();
    await settle(app, standin);
    await expectTrialBalanceZero(app);
  });

  /** A new developer with one credited top-up. */
  async function paidDeveloper(amountUsd: string): Promise<{ accountId: string; paymentId: string; orderId: string }> {
    const dev = await registerAndSignIn(app, t.url, `dev-${randomUUID()}@example.com`);
    const res = await dev.browser.post(`${t.url}/me/payments/orders`, { amountUsd });
    const paid = standin.pay(res.body.orderId, { outcome: 'captured' });
    await dev.browser.post(`${t.url}/me/payments/orders/${res.body.orderId}/checkout`, paid.checkout);
    await settle(app, standin);
    return { accountId: dev.accountId, paymentId: paid.payment.id, orderId: res.body.orderId };
  }

  const refund = (paymentId: string, body: Record<string, unknown>) => admin.browser.post(`${t.url}/admin/payments/${paymentId}/refunds`, body);
  /** Spendable credits (Redis, holds included): a stranded hold would show here. */
  const available = async (accountId: string) => BigInt((await admin.browser.get(`${t.url}/admin/accounts/${accountId}/credits`)).body.availableMicroUsd as string);
  const eventTypes = async (stream: string) => (await readAll(app, stream)).map((e) => e.type);
  const refundsAtRazorpay = async (paymentId: string) => (await razorpayClient(standin).payments.fetchMultipleRefund(paymentId, { count: 100 })).items;

  /** Settles, then checks and prints the figures every failure point is judged by. */
  async function expectBalance(point: string, accountId: string, expectedMicroUsd: bigint): Promise<void> {
    await settle(app, standin);
    const ledger = await credits(app, accountId);
    const spendable = await available(accountId);
    const trial = (await app.get(LedgerQueries).trialBalance()).totals;
    console.log(`${point}: developer ledger ${ledger} µUSD, spendable ${spendable} µUSD (expected ${expectedMicroUsd}); trial balance net ${trial.netMicroUsd}`);
    expect(ledger).toBe(expectedMicroUsd);
    expect(spendable).toBe(expectedMicroUsd);
    expect(trial.netMicroUsd).toBe('0');
  }

  it('a sub-cent amount is refused before anything is recorded', async () => {
    const { accountId, paymentId, orderId } = await paidDeveloper('25.00');
    const res = await refund(paymentId, { amountUsd: '1.005', reason: 'sub-cent' });
    expect([res.status, res.body.code]).toEqual([400, 'invalid_amount']);
    await expectBalance('sub-cent amount', accountId, 25_000_000n);
    expect(await eventTypes(`credits-${accountId}`)).not.toContain('CreditsRefunded');
    expect(await eventTypes(`payment-${orderId}`)).not.toContain('RefundRequested');
    expect(await refundsAtRazorpay(paymentId)).toEqual([]);
  });

  it('more than is still refundable on the payment is refused before anything is recorded', async () => {
    const { accountId, paymentId } = await paidDeveloper('25.00');
    expect((await refund(paymentId, { amountUsd: '10.00', reason: 'part' })).status).toBe(201);
    const res = await refund(paymentId, { amountUsd: '15.01', reason: 'too much' });
    expect([res.status, res.body.code]).toEqual([409, 'refund_exceeds_payment']);
    await expectBalance('more than refundable', accountId, 15_000_000n);
    expect((await refundsAtRazorpay(paymentId)).map((r) => r.amount)).toEqual([1_000]);
  });

  it(`the count cap (${MAX_REFUNDS_PER_ORDER} refunds per order) is refused before anything is recorded`, async () => {
    const { accountId, paymentId } = await paidDeveloper('5.00');
    for (let i = 0; i < MAX_REFUNDS_PER_ORDER; i++) expect((await refund(paymentId, { amountUsd: '0.01', reason: `cent ${i}` })).status).toBe(201);
    const res = await refund(paymentId, { amountUsd: '0.01', reason: 'one too many' });
    expect([res.status, res.body.code]).toEqual([409, 'too_many_refunds']);
    await expectBalance('count cap', accountId, 5_000_000n - BigInt(MAX_REFUNDS_PER_ORDER) * 10_000n);
    expect(await refundsAtRazorpay(paymentId)).toHaveLength(MAX_REFUNDS_PER_ORDER);
  }, 90_000);

  it('the request cannot be recorded (event store down): nothing is taken', async () => {
    const { accountId, paymentId } = await paidDeveloper('25.00');
    const reconciler = app.get(PaymentReconciler);
    const apply = reconciler.apply.bind(reconciler);
    jest.spyOn(reconciler, 'apply').mockImplementation(async (stream, command, context) => {
      if (command.type === 'RequestRefund') throw unavailable('event_store_unavailable', 'The event store did not answer.');
      return apply(stream, command, context);
    });
    const res = await refund(paymentId, { amountUsd: '5.00', reason: 'store down' });
    expect([res.status, res.body.code]).toEqual([503, 'event_store_unavailable']);
    await expectBalance('request not recorded', accountId, 25_000_000n);
    expect(await eventTypes(`credits-${accountId}`)).not.toContain('CreditsRefunded');
  });

  it('the credits were already spent: the refund fails with nothing taken, Razorpay is never asked', async () => {
    const { accountId, paymentId, orderId } = await paidDeveloper('25.00');
    await app.get(CreditsService).correct(accountId, -24_000_000n, 'spent on inference (test)', { actorId: 'test', occurredAt: new Date().toISOString() });
    const res = await refund(paymentId, { amountUsd: '5.00', reason: 'spent' });
    expect([res.status, res.body.code]).toEqual([409, 'insufficient_credits']);
    await expectBalance('credits already spent', accountId, 1_000_000n);
    expect(await eventTypes(`payment-${orderId}`)).toEqual(expect.arrayContaining(['RefundRequested', 'RefundFailed']));
    expect(await refundsAtRazorpay(paymentId)).toEqual([]);
  });

  it('the process dies after recording the request, before taking the credits: the sweep finishes it, once', async () => {
    const { accountId, paymentId, orderId } = await paidDeveloper('25.00');
    const refundId = `rf_crash1_${randomUUID().slice(0, 8)}`;
    // What a process that died right after step 1 leaves behind.
    await app.get(PaymentReconciler).apply(
      orderId,
      {
        type: 'RequestRefund',
        orderId,
        paymentId,
        refundId,
        amountMicroUsd: 7_000_000n,
        reason: 'crash',
        requestedBy: admin.accountId,
        approvalThresholdMicroUsd: 100_000_000n,
        at: new Date().toISOString(),
      },
      { actorId: admin.accountId, occurredAt: new Date().toISOString() },
    );
    await settle(app, standin);
    expect(await available(accountId)).toBe(25_000_000n);
    expect((await app.get(PaymentSweep).sweep(Date.now() + REFUND_RESUME_AFTER_MS + 1_000)).refundsResumed).toBeGreaterThanOrEqual(1);
    await expectBalance('died before the debit', accountId, 18_000_000n);
    expect((await refundsAtRazorpay(paymentId)).map((r) => r.amount)).toEqual([700]);
  });

  it('the process dies after taking the credits, before asking Razorpay: the sweep finishes it, once', async () => {
    const { accountId, paymentId, orderId } = await paidDeveloper('25.00');
    const refundId = `rf_crash2_${randomUUID().slice(0, 8)}`;
    const context = { actorId: admin.accountId, occurredAt: new Date().toISOString() };
    await app.get(PaymentReconciler).apply(
      orderId,
      {
        type: 'RequestRefund',
        orderId,
        paymentId,
        refundId,
        amountMicroUsd: 6_000_000n,
        reason: 'crash',
        requestedBy: admin.accountId,
        approvalThresholdMicroUsd: 100_000_000n,
        at: context.occurredAt,
      },
      context,
    );
    await app.get(CreditsService).refund(accountId, { refundId, paymentId, amountMicroUsd: 6_000_000n, reason: 'crash' }, context);
    await t.caughtUp(); // the sweep reads the refunds read model
    await app.get(PaymentSweep).sweep(Date.now() + REFUND_RESUME_AFTER_MS + 1_000);
    await app.get(PaymentSweep).sweep(Date.now() + REFUND_RESUME_AFTER_MS + 1_000); // a second resume changes nothing
    await expectBalance('died before Razorpay', accountId, 19_000_000n);
    expect((await refundsAtRazorpay(paymentId)).map((r) => r.amount)).toEqual([600]);
    expect((await eventTypes(`credits-${accountId}`)).filter((e) => e === 'CreditsRefunded')).toHaveLength(1);
  });

  it('Razorpay refuses: the credits come back (a correcting entry)', async () => {
    const { accountId, paymentId } = await paidDeveloper('25.00');
    standin.injectFault({ kind: 'status', status: 400, match: { method: 'POST', path: `/v1/payments/${paymentId}/refund` } });
    const res = await refund(paymentId, { amountUsd: '4.00', reason: 'refused' });
    expect([res.status, res.body.status]).toEqual([201, 'failed']);
    await expectBalance('Razorpay refused', accountId, 25_000_000n);
    expect(await eventTypes(`credits-${accountId}`)).toEqual(expect.arrayContaining(['CreditsRefunded', 'CreditsRefundReversed']));
  });

  it('Razorpay is unreachable, then back; or its answer is lost: retried with the same key, one refund', async () => {
    const { accountId, paymentId } = await paidDeveloper('25.00');
    standin.injectFault({ kind: 'status', status: 503, times: 2, match: { method: 'POST', path: `/v1/payments/${paymentId}/refund` } });
    const down = await refund(paymentId, { amountUsd: '3.00', reason: 'down' });
    // The worker's retries may already have got through by the time the admin's answer is read.
    expect(down.status).toBe(201);
    expect(['requested', 'submitted']).toContain(down.body.status);
    await settle(app, standin);
    standin.injectFault({ kind: 'lostResponse', match: { method: 'POST', path: `/v1/payments/${paymentId}/refund` } });
    const lost = await refund(paymentId, { amountUsd: '2.00', reason: 'lost' });
    expect(['requested', 'submitted']).toContain(lost.body.status);
    await expectBalance('Razorpay down, answer lost', accountId, 20_000_000n);
    expect((await refundsAtRazorpay(paymentId)).map((r) => r.amount).sort()).toEqual([200, 300]);
    expect(standin.apiCalls().filter((c) => c.idempotencyKey === down.body.refundId).length).toBe(3);
  });
});
