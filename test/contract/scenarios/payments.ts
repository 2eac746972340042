import { registerAndSignIn, SignedIn } from '../../support/sign-in';
import { waitFor } from '../../support/eventually';
import { settle } from '../../payments/support';
import type { ApiClient } from '../../support/api-client';
import type { ContractContext, Scenario } from '../context';

/** An answer's status, then its body (typed by the document). */
function ok<T>(answer: { data?: T; error?: unknown; response: Response }, status: number): T {
  expect({ status: answer.response.status, error: answer.error }).toEqual({ status, error: undefined });
  return answer.data as T;
}

/** A refusal's status and problem-details code. */
function refusal(answer: { error?: unknown; response: Response }, status: number, code: string): void {
  expect({ status: answer.response.status, code: (answer.error as { code?: string } | undefined)?.code }).toEqual({ status, code });
}

/** Both stand-ins deliver their signed webhooks to the app, as the real processors would. */
function deliverWebhooks(c: ContractContext): void {
  c.razorpay.setWebhookUrl(`${c.url}/webhooks/razorpay`);
  c.coinbase.setWebhookUrl(`${c.url}/webhooks/coinbase-commerce`);
}

/** A developer of this group's own (never the shared one: their balance is theirs to watch). */
async function developer(c: ContractContext, name: string): Promise<SignedIn & { api: ApiClient }> {
  const dev = await registerAndSignIn(c.h.t.app, c.url, `contract-payments-${name}@example.com`);
  return { ...dev, api: c.client(dev.browser) };
}

async function order(api: ApiClient, amountUsd: string): Promise<string> {
  return ok(await api.POST('/me/payments/orders', { body: { amountUsd } }), 201).orderId;
}

/** An order paid through Checkout (captured), its signed handler answer posted, the credit landed. */
async function topUp(c: ContractContext, api: ApiClient, amountUsd: string): Promise<{ orderId: string; paymentId: string }> {
  const orderId = await order(api, amountUsd);
  const paid = c.razorpay.pay(orderId, { outcome: 'captured' });
  const verified = ok(await api.POST('/me/payments/orders/{orderId}/checkout', { params: { path: { orderId } }, body: paid.checkout! }), 202);
  expect(['verifying', 'credited']).toContain(verified.status);
  await settle(c.h.t.app, c.razorpay);
  return { orderId, paymentId: paid.payment.id };
}

export const scenarios: Scenario[] = [
  [
    'payments: a developer tops up through Razorpay Checkout (order, signed checkout, credited) and views orders; finance sees the payment, its webhooks and a forged one refused',
    async (c) => {
      deliverWebhooks(c);
      const dev = await developer(c, 'topup');
      const { orderId, paymentId } = await topUp(c, dev.api, '25.00');

      const view = ok(await dev.api.GET('/me/payments/orders/{orderId}', { params: { path: { orderId } } }), 200);
      expect(view.payments).toEqual([expect.objectContaining({ paymentId, credited: true })]);
      const orders = ok(await dev.api.GET('/me/payments/orders'), 200);
      expect(orders.map((o) => o.orderId)).toContain(orderId);
      // Refusals: problem details with the codes clients know.
      refusal(await dev.api.POST('/me/payments/orders', { body: { amountUsd: '10.005' } }), 400, 'invalid_amount');
      refusal(await dev.api.POST('/me/payments/orders', { body: {} as { amountUsd: string } }), 400, 'invalid_body');
      refusal(await dev.api.GET('/me/payments/orders/{orderId}', { params: { path: { orderId: 'order_NoSuchOrder1' } } }), 404, 'order_not_found');
      refusal(
        await dev.api.POST('/me/payments/orders/{orderId}/checkout', { params: { path: { orderId } }, body: { razorpay_payment_id: 'not-an-id', razorpay_signature: 'x' } }),
        400,
        'invalid_id',
      );
      refusal(await c.anonymous.GET('/me/payments/orders'), 401, 'session_required');

      const finance = c.as.finance.api;
      const rows = ok(await finance.GET('/finance/payments', { params: { query: { accountId: dev.accountId } } }), 200);
      expect(rows).toEqual([expect.objectContaining({ paymentId, ledgerStatus: 'credited' })]);
      refusal(await finance.GET('/finance/payments', { params: { query: { limit: 'many' } } }), 400, 'invalid_query');
      refusal(await finance.GET('/finance/payments/discrepancies', { params: { query: { before: 'yesterday' } } }), 400, 'invalid_query');
      refusal(await dev.api.GET('/finance/payments'), 403, 'role_required');
      expect(ok(await finance.GET('/finance/payments/webhooks'), 200).length).toBeGreaterThan(0);
      // A delivery signed with the wrong secret is refused and listed (the webhook routes are not in the document).
      expect((await c.razorpay.sendForgedWebhook()).status).toBe(400);
      const rejections = ok(await finance.GET('/finance/payments/webhooks/rejections'), 200);
      expect(rejections.map((r) => r.reason)).toContain('bad_signature');
    },
  ],
  [
    'payments: admins refund a payment, at once under the approval threshold, above it only once a second admin approves (or rejects); finance lists the refunds',
    async (c) => {
      deliverWebhooks(c);
      const dev = await developer(c, 'refunded');
      const { paymentId } = await topUp(c, dev.api, '300.00');
      // Four eyes: the second approver is another admin, never the one who asked.
      const second = await registerAndSignIn(c.h.t.app, c.url, 'contract-payments-admin2@example.com', ['admin']);
      const admin2 = c.client(second.browser);
      const admin = c.as.admin.api;
      const refund = async (amountUsd: string, reason: string) =>
        ok(await admin.POST('/admin/payments/{paymentId}/refunds', { params: { path: { paymentId } }, body: { amountUsd, reason } }), 201);

      expect((await refund('10.00', 'customer asked (small)')).status).toBe('submitted');
      refusal(await admin.POST('/admin/payments/{paymentId}/refunds', { params: { path: { paymentId } }, body: { reason: 'retry', operationId: 'short' } }), 400, 'invalid_body');
      refusal(
        await admin.POST('/admin/payments/{paymentId}/refunds', { params: { path: { paymentId } }, body: { amountUsd: '1.005', reason: 'sub-cent' } }),
        400,
        'invalid_amount',
      );
      refusal(
        await admin.POST('/admin/payments/{paymentId}/refunds', { params: { path: { paymentId } }, body: { amountUsd: '1000.00', reason: 'too much' } }),
        409,
        'refund_exceeds_payment',
      );
      refusal(
        await admin.POST('/admin/payments/{paymentId}/refunds', { params: { path: { paymentId: 'pay_NoSuchPayment1' } }, body: { reason: 'unknown' } }),
        404,
        'payment_not_found',
      );

      const large = await refund('120.00', 'customer asked (large)');
      expect(large.status).toBe('pending_approval'); // above APPROVAL_THRESHOLD_USD (100.00 here)
      const approved = ok(await admin2.POST('/admin/payments/{paymentId}/refunds/{refundId}/approve', { params: { path: { paymentId, refundId: large.refundId } } }), 200);
      expect(approved).toMatchObject({ refundId: large.refundId, status: 'submitted' });

      const refused = await refund('150.00', 'customer asked (the rest)');
      expect(refused.status).toBe('pending_approval');
      // Four eyes: the admin who asked cannot approve it.
      refusal(await admin.POST('/admin/payments/{paymentId}/refunds/{refundId}/approve', { params: { path: { paymentId, refundId: refused.refundId } } }), 403, 'self_approval');
      const rejected = ok(
        await admin2.POST('/admin/payments/{paymentId}/refunds/{refundId}/reject', {
          params: { path: { paymentId, refundId: refused.refundId } },
          body: { reason: 'not owed' },
        }),
        200,
      );
      expect(rejected.status).toBe('rejected');
      refusal(
        await admin2.POST('/admin/payments/{paymentId}/refunds/{refundId}/reject', { params: { path: { paymentId, refundId: refused.refundId } }, body: { reason: '' } }),
        400,
        'invalid_body',
      );
      await settle(c.h.t.app, c.razorpay);

      const listed = ok(await c.as.finance.api.GET('/finance/payments/refunds', { params: { query: { paymentId } } }), 200);
      expect(listed.map((r) => r.refundId).sort()).toEqual(expect.arrayContaining([large.refundId, refused.refundId]));
      expect(listed).toHaveLength(3);
    },
  ],
  [
    'payments: finance reconciles (a short payment is a discrepancy; a job that used up its attempts is retried by an admin; a sweep and a report run on demand)',
    async (c) => {
      deliverWebhooks(c);
      const dev = await developer(c, 'reconciled');
      const finance = c.as.finance.api;
      const admin = c.as.admin.api;

      // A tampered Checkout pays less than the order: captured at Razorpay, never credited, reported.
      const shortOrder = await order(dev.api, '25.00');
      const short = c.razorpay.pay(shortOrder, { outcome: 'captured', amount: 100 });
      ok(await dev.api.POST('/me/payments/orders/{orderId}/checkout', { params: { path: { orderId: shortOrder } }, body: short.checkout! }), 202);
      await settle(c.h.t.app, c.razorpay);
      const discrepancies = ok(await finance.GET('/finance/payments/discrepancies'), 200);
      expect(discrepancies).toContainEqual(expect.objectContaining({ kind: 'amount_mismatch', paymentId: short.payment.id }));

      // Razorpay answers 503 for longer than the job's attempts last (as test/payments does it).
      const stuckOrder = await order(dev.api, '8.00');
      c.razorpay.injectFault({ kind: 'status', status: 503, times: 4, match: { method: 'GET', path: '/v1/payments' } });
      const stuck = c.razorpay.pay(stuckOrder, { outcome: 'captured', notes: {} });
      const failed = await waitFor(
        async () => ok(await finance.GET('/finance/payments/jobs/failed'), 200).find((j) => j.jobId === `payment-${stuck.payment.id}`),
        20_000,
        'the failed payment job',
        50,
      );
      c.razorpay.clearFaults();
      expect(ok(await admin.POST('/admin/payments/jobs/{jobId}/retry', { params: { path: { jobId: failed.jobId } } }), 202).retried).toBe(true);
      await settle(c.h.t.app, c.razorpay);
      const view = ok(await dev.api.GET('/me/payments/orders/{orderId}', { params: { path: { orderId: stuckOrder } } }), 200);
      expect(view.payments).toEqual([expect.objectContaining({ paymentId: stuck.payment.id, credited: true })]);

      expect(ok(await admin.POST('/admin/payments/sweep'), 202).jobId).not.toBe('');
      refusal(await admin.POST('/admin/payments/jobs/{jobId}/retry', { params: { path: { jobId: 'no-such-job' } } }), 404, 'job_not_found');
      refusal(await finance.POST('/finance/payments/reconciliation-runs', { body: { day: '2026-02-30' } }), 400, 'invalid_body');
      refusal(await finance.GET('/finance/payments/jobs/failed', { params: { query: { limit: '1001' } } }), 400, 'invalid_query');
      // No body: yesterday's report.
      expect(ok(await finance.POST('/finance/payments/reconciliation-runs'), 202).day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      const day = new Date().toISOString().slice(0, 10);
      expect(ok(await finance.POST('/finance/payments/reconciliation-runs', { body: { day } }), 202).day).toBe(day);
      await waitFor(async () => ok(await finance.GET('/finance/payments/reconciliation-runs'), 200).some((r) => r.day === day), 20_000, `the reconciliation report of ${day}`, 50);
      await settle(c.h.t.app, c.razorpay);
    },
  ],
  [
    'payments: a developer tops up with crypto (a Coinbase Commerce charge, paid and confirmed on chain, credited)',
    async (c) => {
      deliverWebhooks(c);
      const dev = await developer(c, 'crypto');
      const created = ok(await dev.api.POST('/me/payments/crypto/charges', { body: { amountUsd: '25.00' } }), 201);
      const code = created.chargeCode;
      expect(created.hostedUrl).toBe(`${c.coinbase.url}/hosted/charges/${code}`);
      c.coinbase.pay(code, { usd: '25.00', network: 'base', cryptoCurrency: 'USDC' });
      c.coinbase.confirm(code);
      const charge = await waitFor(
        async () => {
          const view = ok(await dev.api.GET('/me/payments/crypto/charges/{code}', { params: { path: { code } } }), 200);
          return view.credited && view;
        },
        20_000,
        'the charge to be credited',
        50,
      );
      expect(charge.creditedUsd).toBe('25.00');
      refusal(await dev.api.POST('/me/payments/crypto/charges', { body: { amountUsd: 'lots' } }), 400, 'invalid_amount');
      refusal(await dev.api.GET('/me/payments/crypto/charges/{code}', { params: { path: { code: 'not-a-code' } } }), 400, 'invalid_id');
      refusal(await dev.api.GET('/me/payments/crypto/charges/{code}', { params: { path: { code: 'NOSUCH99' } } }), 404, 'charge_not_found');
    },
  ],
];
