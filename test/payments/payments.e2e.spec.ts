import { sharedSmtpSink } from '../support/smtp-sink';
import { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CreditsService } from '../../src/ledger/credits.service';
import { PaymentSweep } from '../../src/payments/reconcile/payment-sweep';
import { AuthTestApp, startAuthApp } from '../auth/auth-app';
import { razorpayClient } from '../standins/razorpay/sdk';
import { RazorpayStandin, startRazorpayStandin } from '../standins/razorpay/standin';
import { Browser } from '../support/browser';
import { credits, expectTrialBalanceZero, platform, purchases, readAll, reportFor, settle, testOverrides } from './support';
import { registerAndSignIn } from '../support/sign-in';
import { waitFor } from '../support/eventually';

/**
 * Top-ups end to end: the real app (PostgreSQL, Redis, BullMQ worker) against the Razorpay
 * stand-in, which delivers signed webhooks to the app and answers the SDK's API calls.
 * After every scenario the trial balance is zero and the reconciliation report agrees.
 */
describe('payments: Razorpay top-ups, webhooks and the reconciliation worker', () => {
  let standin: RazorpayStandin;
  let t: AuthTestApp;
  let app: INestApplication;
  let dev: { accountId: string; browser: Browser };
  let admin: { accountId: string; browser: Browser };
  let finance: { accountId: string; browser: Browser };
  let started: Date;
  let devEmail: string;

  beforeAll(async () => {
    standin = await startRazorpayStandin({ webhookRetryBaseDelayMs: 20 });
    t = await startAuthApp('payments', testOverrides(standin));
    app = t.app;
    standin.setWebhookUrl(`${t.url}/webhooks/razorpay`);
    devEmail = `dev-${randomUUID()}@example.com`;
    dev = await registerAndSignIn(app, t.url, devEmail);
    admin = await registerAndSignIn(app, t.url, `admin-${randomUUID()}@example.com`, ['admin']);
    finance = await registerAndSignIn(app, t.url, `finance-${randomUUID()}@example.com`, ['finance']);
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });
  beforeEach(() => {
    started = new Date();
    standin.setWebhookPolicy({ kind: 'inOrder' });
  });
  afterEach(async () => {
    await settle(app, standin);
    await expectTrialBalanceZero(app);
  });

  async function order(amountUsd = '25.00', who = dev): Promise<string> {
    const res = await who.browser.post(`${t.url}/me/payments/orders`, { amountUsd });
    expect(res.status).toBe(201);
    return res.body.orderId as string;
  }

  async function topUp(amountUsd = '25.00', who = dev): Promise<{ orderId: string; paymentId: string }> {
    const orderId = await order(amountUsd, who);
    const paid = standin.pay(orderId, { outcome: 'captured' });
    const cb = await who.browser.post(`${t.url}/me/payments/orders/${orderId}/checkout`, paid.checkout);
    expect(cb.status).toBe(202);
    await settle(app, standin);
    return { orderId, paymentId: paid.payment.id };
  }

  it('a normal top-up: an order Checkout can open, the callback, one credit, the report agrees', async () => {
    const before = await credits(app, dev.accountId);
    const res = await dev.browser.post(`${t.url}/me/payments/orders`, { amountUsd: '25.00' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ keyId: standin.keyId, amount: 2500, currency: 'USD', amountUsd: '25.00' });
    const rzpOrder = standin.order(res.body.orderId)!;
    expect(rzpOrder).toMatchObject({ amount: 2500, currency: 'USD', receipt: res.body.receipt, notes: { tollgateAccountId: dev.accountId } });

    const paid = standin.pay(res.body.orderId, { outcome: 'captured' });
    const cb = await dev.browser.post(`${t.url}/me/payments/orders/${res.body.orderId}/checkout`, paid.checkout);
    expect(cb.status).toBe(202);
    await settle(app, standin);

    expect(await purchases(app, dev.accountId)).toHaveLength(1);
    expect(await credits(app, dev.accountId)).toBe(before + 25_000_000n);
    const view = await dev.browser.get(`${t.url}/me/payments/orders/${res.body.orderId}`);
    expect(view.body).toMatchObject({ status: 'credited', payments: [{ paymentId: paid.payment.id, razorpayStatus: 'captured', credited: true }] });
    const { found, report } = await reportFor(app, started, [paid.payment.id]);
    expect(found).toEqual([]);
    expect(report.razorpayCapturedCount).toBeGreaterThanOrEqual(1);
    // The receipt (issue 16): amount added, the payment's reference, once.
    const sink = await sharedSmtpSink();
    const receipt = await sink.waitFor((m) => m.to.includes(devEmail) && m.category === 'billing' && m.text.includes(paid.payment.id));
    expect(receipt.subject).toBe('Receipt: 25.00 USD of credits added');
    expect(receipt.text).toContain(res.body.orderId);

    // Out of range, not whole cents, another developer's order: refused.
    expect((await dev.browser.post(`${t.url}/me/payments/orders`, { amountUsd: '1.00' })).body.code).toBe('amount_out_of_range');
    expect((await dev.browser.post(`${t.url}/me/payments/orders`, { amountUsd: '10.005' })).body.code).toBe('invalid_amount');
    expect((await admin.browser.get(`${t.url}/me/payments/orders/${res.body.orderId}`)).status).toBe(404);
  });

  it('checkout callback + three duplicate webhooks + a sweep credit once', async () => {
    standin.setWebhookPolicy({ kind: 'duplicate', times: 3, concurrent: true });
    const before = await credits(app, dev.accountId);
    const orderId = await order('30.00');
    const paid = standin.pay(orderId, { outcome: 'captured' });
    const [cb] = await Promise.all([dev.browser.post(`${t.url}/me/payments/orders/${orderId}/checkout`, paid.checkout), app.get(PaymentSweep).sweep()]);
    expect(cb.status).toBe(202);
    await settle(app, standin);
    await app.get(PaymentSweep).sweep();
    await settle(app, standin);

    expect((await purchases(app, dev.accountId)).filter((e) => e.data.paymentId === paid.payment.id)).toHaveLength(1);
    const sink = await sharedSmtpSink();
    await sink.waitFor((m) => m.to.includes(devEmail) && m.text.includes(paid.payment.id));
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.to(devEmail).filter((m) => m.text.includes(paid.payment.id))).toHaveLength(1); // one receipt, whatever the signals
    expect(await credits(app, dev.accountId)).toBe(before + 30_000_000n);
    const deliveries = standin.webhookDeliveries().filter((d) => paid.eventIds.includes(d.eventId ?? ''));
    expect(deliveries.length).toBe(paid.eventIds.length * 4);
    expect(deliveries.every((d) => d.status === 200)).toBe(true);
    const webhooks = await finance.browser.get(`${t.url}/finance/payments/webhooks`);
    expect(webhooks.body.filter((w: { eventId: string }) => paid.eventIds.includes(w.eventId)).map((w: { deliveries: number }) => w.deliveries)).toEqual([4, 4, 4]);
    expect((await reportFor(app, started, [paid.payment.id])).found).toEqual([]);
  });

  it('webhooks out of order converge; an authorized payment is captured by us, then credited', async () => {
    standin.setWebhookPolicy({ kind: 'reorder', order: 'reverse' });
    const before = await credits(app, dev.accountId);
    const first = standin.pay(await order('12.00'), { outcome: 'captured' });
    const second = standin.pay(await order('13.00'), { outcome: 'authorized' });
    await settle(app, standin);
    expect(standin.payment(second.payment.id)!.status).toBe('captured'); // our capture policy
    const mine = (await purchases(app, dev.accountId)).map((e) => e.data.paymentId);
    expect(mine.filter((id) => id === first.payment.id || id === second.payment.id).sort()).toEqual([first.payment.id, second.payment.id].sort());
    expect(await credits(app, dev.accountId)).toBe(before + 25_000_000n);
    expect((await reportFor(app, started, [first.payment.id, second.payment.id])).found).toEqual([]);
  });

  it('a dropped webhook is repaired by the sweep; a failed payment credits nothing', async () => {
    standin.setWebhookPolicy({ kind: 'drop' });
    const before = await credits(app, dev.accountId);
    const orderId = await order('9.00');
    const failed = standin.pay(orderId, { outcome: 'failed' });
    const paid = standin.pay(orderId, { outcome: 'captured' });
    await settle(app, standin);
    expect(await credits(app, dev.accountId)).toBe(before);
    expect((await reportFor(app, started, [paid.payment.id])).found).toEqual([{ kind: 'captured_not_credited', paymentId: paid.payment.id }]);

    const swept = await app.get(PaymentSweep).sweep();
    expect(swept.paymentsQueued).toBeGreaterThanOrEqual(1);
    await settle(app, standin);
    expect(await credits(app, dev.accountId)).toBe(before + 9_000_000n);
    const payments = await finance.browser.get(`${t.url}/finance/payments?accountId=${dev.accountId}`);
    const rows = payments.body as { paymentId: string; razorpayStatus: string; ledgerStatus: string; mismatch: boolean }[];
    expect(rows.find((r) => r.paymentId === paid.payment.id)).toMatchObject({ razorpayStatus: 'captured', ledgerStatus: 'credited', mismatch: false });
    expect(rows.find((r) => r.paymentId === failed.payment.id)).toMatchObject({ razorpayStatus: 'failed', ledgerStatus: 'not_credited', mismatch: false });
    expect((await reportFor(app, started, [paid.payment.id, failed.payment.id])).found).toEqual([]);
  });

  it('forged and unsigned webhooks, a replayed event id, an amount mismatch and an unknown order credit nothing and are reported', async () => {
    const before = await credits(app, dev.accountId);
    expect((await standin.sendForgedWebhook()).status).toBe(400);
    expect((await standin.sendUnsignedWebhook()).status).toBe(400);
    const rejections = await finance.browser.get(`${t.url}/finance/payments/webhooks/rejections`);
    expect(
      rejections.body
        .slice(0, 2)
        .map((r: { reason: string }) => r.reason)
        .sort(),
    ).toEqual(['bad_signature', 'unsigned']);
    expect(JSON.stringify(rejections.body)).not.toContain('payment.captured'); // never the body

    // A real top-up, then its webhooks replayed: the same event ids change nothing.
    const { paymentId } = await topUp('7.00');
    const captured = standin.webhookEvents().find((e) => e.event === 'payment.captured' && e.body.includes(paymentId))!;
    expect((await standin.redeliver(captured.id)).status).toBe(200);
    // A forged copy of a real event (right ids, wrong secret) is refused too.
    expect((await standin.sendForgedWebhook(captured.body)).status).toBe(400);

    // The customer pays less than the order (a tampered Checkout): captured at Razorpay, never credited.
    const orderId = await order('25.00');
    const short = standin.pay(orderId, { outcome: 'captured', amount: 100 });
    // An order Tollgate never created (another integration on the same Razorpay account).
    const foreign = await razorpayClient(standin).orders.create({ amount: 4_200, currency: 'USD', receipt: `other-${randomUUID().slice(0, 8)}` });
    const stranger = standin.pay(foreign.id, { outcome: 'captured' });
    await settle(app, standin);

    expect((await purchases(app, dev.accountId)).filter((e) => e.data.paymentId === paymentId)).toHaveLength(1);
    expect(await credits(app, dev.accountId)).toBe(before + 7_000_000n);
    const discrepancies = await finance.browser.get(`${t.url}/finance/payments/discrepancies`);
    const kinds = (discrepancies.body as { kind: string; paymentId: string; source: string }[]).filter((d) => d.source === 'worker').map((d) => [d.kind, d.paymentId]);
    expect(kinds).toEqual(
      expect.arrayContaining([
        ['amount_mismatch', short.payment.id],
        ['unknown_order', stranger.payment.id],
      ]),
    );
    const { found } = await reportFor(app, started, [paymentId, short.payment.id, stranger.payment.id]);
    expect(found.sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
      { kind: 'captured_not_credited', paymentId: short.payment.id },
      { kind: 'unknown_order', paymentId: stranger.payment.id },
    ]);
    await t.caughtUp();
    const runs = await finance.browser.get(`${t.url}/finance/payments/reconciliation-runs`);
    expect(runs.body[0]).toMatchObject({ discrepancyCount: expect.any(Number) });

    // A checkout callback with a bad signature is refused and queues nothing.
    const other = standin.pay(await order('6.00'), { outcome: 'captured' });
    const bad = await dev.browser.post(`${t.url}/me/payments/orders/${other.payment.order_id}/checkout`, { ...other.checkout, razorpay_signature: 'f'.repeat(64) });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_signature');
  });

  it('refunds: credits debited first, settled when processed, restored when failed or refused, one refund per key', async () => {
    const { paymentId } = await topUp('40.00');
    const before = await credits(app, dev.accountId);
    const clearingBefore = await platform(app, 'platform:payment_clearing');

    const refund = await admin.browser.post(`${t.url}/admin/payments/${paymentId}/refunds`, { amountUsd: '10.00', reason: 'customer asked', operationId: `op-${randomUUID()}` });
    expect(refund.status).toBe(201);
    expect(refund.body).toMatchObject({ status: 'submitted', amountMicroUsd: '10000000' });
    await settle(app, standin);
    expect(await credits(app, dev.accountId)).toBe(before - 10_000_000n);
    expect(standin.apiCalls().find((c) => c.path.endsWith(`${paymentId}/refund`))?.idempotencyKey).toBe(refund.body.refundId);
    standin.processRefund(refund.body.razorpayRefundId, 'processed');
    await settle(app, standin);
    const refundMail = await (await sharedSmtpSink()).waitFor((m) => m.to.includes(devEmail) && m.subject === 'Refund of 10.00 USD processed');
    expect(refundMail.text).toContain(paymentId);
    expect(await platform(app, 'platform:refunds_payable')).toBe(0n);
    expect(await platform(app, 'platform:payment_clearing')).toBe(clearingBefore - 10_000_000n);

    // A refund the bank fails: the credits come back.
    const failing = await admin.browser.post(`${t.url}/admin/payments/${paymentId}/refunds`, { amountUsd: '5.00', reason: 'partial' });
    expect(failing.status).toBe(201);
    await settle(app, standin);
    expect(await credits(app, dev.accountId)).toBe(before - 15_000_000n);
    standin.processRefund(failing.body.razorpayRefundId, 'failed');
    await settle(app, standin);
    expect(await credits(app, dev.accountId)).toBe(before - 10_000_000n);

    // Razorpay refuses outright (a definite 4xx): restored at once, the admin sees 409.
    standin.injectFault({ kind: 'status', status: 400, match: { method: 'POST', path: '/v1/payments' } });
    const refused = await admin.browser.post(`${t.url}/admin/payments/${paymentId}/refunds`, { amountUsd: '1.00', reason: 'refused' });
    expect(refused.status).toBe(201);
    expect(refused.body.status).toBe('failed');
    await settle(app, standin);
    expect(await credits(app, dev.accountId)).toBe(before - 10_000_000n);

    // The answer is lost: the worker retries with the same key, and Razorpay made exactly one refund.
    standin.injectFault({ kind: 'lostResponse', match: { method: 'POST', path: '/v1/payments' } });
    const lost = await admin.browser.post(`${t.url}/admin/payments/${paymentId}/refunds`, { amountUsd: '2.00', reason: 'lost answer' });
    expect(lost.body.status).toBe('requested');
    await settle(app, standin);
    const refunds = await finance.browser.get(`${t.url}/finance/payments/refunds?paymentId=${paymentId}`);
    const lostRow = refunds.body.find((r: { refundId: string }) => r.refundId === lost.body.refundId);
    expect(lostRow).toMatchObject({ status: 'submitted', requestedBy: admin.accountId });
    expect(standin.apiCalls().filter((c) => c.idempotencyKey === lost.body.refundId).length).toBe(2);
    const atRazorpay = await razorpayClient(standin).payments.fetchMultipleRefund(paymentId, { count: 100 });
    expect(atRazorpay.items.filter((r) => r.amount === 200)).toHaveLength(1);
    expect(await credits(app, dev.accountId)).toBe(before - 12_000_000n);

    // Spent credits cannot be refunded; developers cannot refund.
    expect((await admin.browser.post(`${t.url}/admin/payments/${paymentId}/refunds`, { amountUsd: '900.00', reason: 'too much' })).status).toBe(409);
    expect((await dev.browser.post(`${t.url}/admin/payments/${paymentId}/refunds`, { reason: 'me' })).status).toBe(403);
  });

  it('disputes: the disputed amount is frozen, released when won, taken when lost; a shortfall is written off', async () => {
    const whoEmail = `disputed-${randomUUID()}@example.com`;
    const who = await registerAndSignIn(app, t.url, whoEmail);
    const won = await topUp('20.00', who);
    const lost = await topUp('30.00', who);
    const base = await credits(app, who.accountId);

    const d1 = standin.openDispute(won.paymentId, 2_000);
    await settle(app, standin);
    expect(await credits(app, who.accountId)).toBe(base - 20_000_000n);
    expect(await platform(app, 'platform:disputes_held')).toBe(-20_000_000n);
    standin.closeDispute(d1.id, 'won');
    await settle(app, standin);
    expect(await credits(app, who.accountId)).toBe(base);

    // The developer spends most of the money, then the second payment is disputed and lost.
    await app.get(CreditsService).correct(who.accountId, -(base - 5_000_000n), 'spent on inference (test)', { actorId: 'test', occurredAt: new Date().toISOString() });
    await settle(app, standin);
    const d2 = standin.openDispute(lost.paymentId, 3_000);
    await settle(app, standin);
    expect(await credits(app, who.accountId)).toBe(0n);
    const row = (await finance.browser.get(`${t.url}/finance/payments?accountId=${who.accountId}`)).body.find((p: { paymentId: string }) => p.paymentId === lost.paymentId);
    expect(row.dispute).toMatchObject({ disputeId: d2.id, status: 'frozen', disputedMicroUsd: '30000000', frozenMicroUsd: '5000000', shortfallMicroUsd: '25000000' });
    const lossesBefore = await platform(app, 'platform:dispute_losses');
    standin.closeDispute(d2.id, 'lost');
    await settle(app, standin);
    expect(await credits(app, who.accountId)).toBe(0n);
    expect(await platform(app, 'platform:dispute_losses')).toBe(lossesBefore + 25_000_000n);
    expect(await platform(app, 'platform:disputes_held')).toBe(0n);
    const events = (await readAll(app, `credits-${who.accountId}`)).map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(['DisputeFundsFrozen', 'DisputeFundsReleased', 'DisputeLost']));
    // The developer is told when a dispute opens and how it closed.
    const sink = await sharedSmtpSink();
    await sink.waitFor((m) => m.to.includes(whoEmail) && m.subject === 'The dispute on your payment is closed' && m.text.includes(lost.paymentId));
    const mails = sink.to(whoEmail).filter((m) => m.category === 'billing' && m.subject.includes('disput'));
    expect(mails.map((m) => m.subject).sort()).toEqual([
      'A payment on your account is disputed',
      'A payment on your account is disputed',
      'The dispute on your payment is closed',
      'The dispute on your payment is closed',
    ]);
    expect((await reportFor(app, started, [won.paymentId, lost.paymentId])).found).toEqual([]);
  });

  it('finance sees failed jobs, admins retry them', async () => {
    // Razorpay is down for longer than the retries last.
    const orderId = await order('8.00');
    standin.injectFault({ kind: 'status', status: 503, times: 4, match: { method: 'GET', path: '/v1/payments' } });
    const paid = standin.pay(orderId, { outcome: 'captured', notes: {} });
    await standin.whenWebhooksIdle();
    const failed = await waitFor(
      async () => {
        const res = await finance.browser.get(`${t.url}/finance/payments/jobs/failed`);
        return (res.body as { jobId: string; attemptsMade: number; failedReason: string }[]).find((j) => j.jobId === `payment-${paid.payment.id}`);
      },
      10_000,
      'a failed job',
      20,
    );
    expect(failed).toMatchObject({ attemptsMade: 4, failedReason: expect.stringContaining('503') });
    standin.clearFaults();
    expect((await admin.browser.post(`${t.url}/admin/payments/jobs/${failed.jobId}/retry`)).status).toBe(202);
    await settle(app, standin);
    expect((await purchases(app, dev.accountId)).filter((e) => e.data.paymentId === paid.payment.id)).toHaveLength(1);
  });
});
