import { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { formatUsd } from '../../src/platform/money';
import { AuthTestApp } from '../auth/auth-app';
import { razorpayClient } from '../standins/razorpay/sdk';
import { RazorpayStandin } from '../standins/razorpay/standin';
import { Browser } from '../support/browser';
import { credits, readAll, settle, startPaymentsApp } from './support';
import { registerAndSignIn } from '../support/sign-in';

const THRESHOLD_MICRO_USD = 20_000_000n; // APPROVAL_THRESHOLD_USD=20.00 for this suite

/**
 * Four eyes on money leaving (issue 15, item 6): a refund or a manual grant above the approval
 * threshold is only a request until a second staff member, not the requester and not the payee,
 * approves it. Every step is an event naming its actor, and a staff action in the audit log.
 */
describe('four eyes: grants and refunds above the approval threshold need a second staff member', () => {
  let env: Awaited<ReturnType<typeof startPaymentsApp>>;
  let standin: RazorpayStandin;
  let t: AuthTestApp;
  let app: INestApplication;
  let admin1: { accountId: string; browser: Browser };
  let admin2: { accountId: string; browser: Browser };
  let finance: { accountId: string; browser: Browser };

  beforeAll(async () => {
    env = await startPaymentsApp('four-eyes', { security: { approvalThresholdMicroUsd: THRESHOLD_MICRO_USD } });
    ({ standin, t } = env);
    app = t.app;
    admin1 = await registerAndSignIn(app, t.url, `admin1-${randomUUID()}@example.com`, ['admin']);
    admin2 = await registerAndSignIn(app, t.url, `admin2-${randomUUID()}@example.com`, ['admin']);
    finance = await registerAndSignIn(app, t.url, `finance-${randomUUID()}@example.com`, ['finance']);
  });
  afterAll(async () => {
    await env?.close();
  });

  const pending = async () => {
    await t.caughtUp();
    return (await finance.browser.get(`${t.url}/admin/approvals`)).body as { requestId: string; kind: string; status: string; requestedBy: string; approvePath: string }[];
  };

  it('a grant above the threshold waits; the requester and the payee cannot approve it; another staff member can', async () => {
    const dev = await registerAndSignIn(app, t.url, `dev-${randomUUID()}@example.com`);
    const grants = `${t.url}/admin/accounts/${dev.accountId}/credits/grants`;
    // At the threshold: applied at once.
    expect((await admin1.browser.post(grants, { amountUsd: '20.00', reason: 'small goodwill' })).body).toMatchObject({ status: 'applied', type: 'CreditsGranted' });
    const asked = await admin1.browser.post(grants, { amountUsd: '150.00', reason: 'launch partner', operationId: 'partner-1' });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ status: 'pending_approval', type: 'CreditOperationRequested', operationId: 'partner-1', amountMicroUsd: '150000000' });
    await t.caughtUp();
    expect(await credits(app, dev.accountId)).toBe(20_000_000n); // nothing moved yet
    const waiting = (await pending()).find((p) => p.requestId === 'partner-1');
    expect(waiting).toMatchObject({
      kind: 'grant',
      status: 'pending',
      requestedBy: admin1.accountId,
      approvePath: `/admin/accounts/${dev.accountId}/credits/approvals/partner-1/approve`,
    });

    const self = await admin1.browser.post(`${t.url}${waiting!.approvePath}`);
    expect([self.status, self.body.code]).toEqual([403, 'self_approval']);
    const approved = await finance.browser.post(`${t.url}${waiting!.approvePath}`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ recorded: true, status: 'applied', type: 'CreditsGranted', amountMicroUsd: '150000000' });
    expect((await admin2.browser.post(`${t.url}${waiting!.approvePath}`)).body).toMatchObject({ recorded: false }); // once
    await t.caughtUp();
    const balance = await credits(app, dev.accountId);
    console.log(`grant of 150.00 above a 20.00 threshold: balance after the request 20.00 USD, after the second approval ${formatUsd(balance)} USD`);
    expect(balance).toBe(170_000_000n);

    // A grant to a staff member's own account: they cannot be its second approver.
    const own = await admin2.browser.post(`${t.url}/admin/accounts/${admin1.accountId}/credits/grants`, { amountUsd: '50.00', reason: 'bonus', operationId: 'bonus-1' });
    expect(own.body.status).toBe('pending_approval');
    const payee = await admin1.browser.post(`${t.url}/admin/accounts/${admin1.accountId}/credits/approvals/bonus-1/approve`);
    expect([payee.status, payee.body.code]).toEqual([403, 'payee_cannot_approve']);
    const rejected = await finance.browser.post(`${t.url}/admin/accounts/${admin1.accountId}/credits/approvals/bonus-1/reject`, { reason: 'no bonuses by grant' });
    expect(rejected.body).toMatchObject({ status: 'rejected' });
    const late = await admin2.browser.post(`${t.url}/admin/accounts/${admin1.accountId}/credits/approvals/bonus-1/approve`);
    expect([late.status, late.body.code]).toEqual([409, 'approval_rejected']);

    // A correction that adds credits is a grant by another name: same rule. One that takes credits away is not.
    const correction = await admin1.browser.post(`${t.url}/admin/accounts/${dev.accountId}/credits/corrections`, { amountUsd: '30.00', reason: 'outage credit' });
    expect(correction.body.status).toBe('pending_approval');
    expect((await admin1.browser.post(`${t.url}/admin/accounts/${dev.accountId}/credits/corrections`, { amountUsd: '-30.00', reason: 'clawback' })).body.status).toBe('applied');

    // Each step: a domain event naming its actor, and a staff action in the audit log.
    const events = await readAll(app, `credits-${dev.accountId}`);
    const step = (type: string) => events.find((e) => e.type === type && (e.data.grantId === 'partner-1' || e.data.operationId === 'partner-1'));
    expect(step('CreditOperationRequested')?.metadata.actorId).toBe(admin1.accountId);
    expect(step('CreditsGranted')).toMatchObject({
      metadata: expect.objectContaining({ actorId: finance.accountId }),
      data: expect.objectContaining({ requestedBy: admin1.accountId, approvedBy: finance.accountId }),
    });
    await t.caughtUp();
    const audit = (await admin2.browser.get(`${t.url}/admin/audit-log?actor=${finance.accountId}`)).body as { items: { action: string; outcome: { code: string } }[] };
    expect(audit.items.map((a) => a.action)).toEqual(expect.arrayContaining(['POST /admin/accounts/:id/credits/approvals/:operationId/approve']));
  });

  it('a refund above the threshold waits (nothing debited, Razorpay not asked); a second admin approves it', async () => {
    const dev = await registerAndSignIn(app, t.url, `payer-${randomUUID()}@example.com`);
    const order = await dev.browser.post(`${t.url}/me/payments/orders`, { amountUsd: '100.00' });
    const paid = standin.pay(order.body.orderId, { outcome: 'captured' });
    await dev.browser.post(`${t.url}/me/payments/orders/${order.body.orderId}/checkout`, paid.checkout);
    await settle(app, standin);
    const paymentId = paid.payment.id;
    const atRazorpay = async () => (await razorpayClient(standin).payments.fetchMultipleRefund(paymentId, { count: 100 })).items;

    const asked = await admin1.browser.post(`${t.url}/admin/payments/${paymentId}/refunds`, { amountUsd: '60.00', reason: 'customer asked' });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ status: 'pending_approval', amountMicroUsd: '60000000' });
    // The pending request holds its share of the payment.
    const more = await admin2.browser.post(`${t.url}/admin/payments/${paymentId}/refunds`, { amountUsd: '40.01', reason: 'too much' });
    expect([more.status, more.body.code]).toEqual([409, 'refund_exceeds_payment']);
    await settle(app, standin);
    expect(await credits(app, dev.accountId)).toBe(100_000_000n);
    expect(await atRazorpay()).toEqual([]);
    expect((await pending()).find((p) => p.requestId === asked.body.refundId)).toMatchObject({
      kind: 'refund',
      approvePath: `/admin/payments/${paymentId}/refunds/${asked.body.refundId}/approve`,
    });

    const self = await admin1.browser.post(`${t.url}/admin/payments/${paymentId}/refunds/${asked.body.refundId}/approve`);
    expect([self.status, self.body.code]).toEqual([403, 'self_approval']);
    const approved = await admin2.browser.post(`${t.url}/admin/payments/${paymentId}/refunds/${asked.body.refundId}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('submitted');
    await settle(app, standin);
    expect(await credits(app, dev.accountId)).toBe(40_000_000n);
    expect((await atRazorpay()).map((r) => r.amount)).toEqual([6_000]);
    const refunds = (await finance.browser.get(`${t.url}/finance/payments/refunds?paymentId=${paymentId}`)).body;
    expect(refunds[0]).toMatchObject({ refundId: asked.body.refundId, requestedBy: admin1.accountId, approvedBy: admin2.accountId, status: 'submitted' });

    // A rejected request gives its share back and moves no money.
    const second = await admin1.browser.post(`${t.url}/admin/payments/${paymentId}/refunds`, { amountUsd: '40.00', reason: 'rest' });
    expect(second.body.status).toBe('pending_approval');
    expect((await admin2.browser.post(`${t.url}/admin/payments/${paymentId}/refunds/${second.body.refundId}/reject`, { reason: 'not owed' })).body.status).toBe('rejected');
    expect((await admin1.browser.post(`${t.url}/admin/payments/${paymentId}/refunds`, { amountUsd: '15.00', reason: 'partial' })).body.status).toBe('submitted');
    await settle(app, standin);
    expect(await credits(app, dev.accountId)).toBe(25_000_000n);
  });
});
