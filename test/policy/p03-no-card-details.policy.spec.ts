import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { PaymentOrdersService } from '../../src/payments/orders/payment-orders.service';
import { AuthTestApp, startAuthApp } from '../auth/auth-app';
import { purchases, settle, testOverrides } from '../payments/support';
import { registerAndSignIn } from '../support/sign-in';
import { RazorpayStandin, startRazorpayStandin } from '../standins/razorpay/standin';
import { redisContaining, tablesContaining } from '../support/privacy-scan';
import { openTestRedis } from '../support/redis';

const ctx = () => ({ actorId: 'test', occurredAt: new Date().toISOString() });

describe('P3: card and bank details never touch us; only the credit balance and payment references are kept', () => {
  let standin: RazorpayStandin;
  let t: AuthTestApp;
  let redis: Redis;

  beforeAll(async () => {
    standin = await startRazorpayStandin({ webhookRetryBaseDelayMs: 20 });
    t = await startAuthApp('policy_p03', testOverrides(standin));
    standin.setWebhookUrl(`${t.url}/webhooks/razorpay`);
    redis = openTestRedis();
  });
  afterAll(async () => {
    await redis?.quit();
    await t?.close();
    await standin?.close();
  });

  it('keeps no card, bank or contact fields anywhere after a card payment and a dispute, only Razorpay ids, amounts and statuses', async () => {
    const { accountId } = await registerAndSignIn(t.app, t.url, `p3-owner-${randomUUID()}@example.com`);
    const email = `p3-${randomUUID()}@example.com`;
    const contact = `+1555${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
    const order = await t.app.get(PaymentOrdersService).createOrder(accountId, '11.00', ctx());
    const paid = standin.pay(order.orderId, { outcome: 'captured', email, contact });
    expect(paid.payment).toMatchObject({ method: 'card', email, contact, card_id: expect.stringMatching(/^card_/) });
    const cardId = paid.payment.card_id;
    const dispute = standin.openDispute(paid.payment.id, 100);
    await settle(t.app, standin);
    expect((await purchases(t.app, accountId)).map((e) => e.data.paymentId)).toContain(paid.payment.id);
    expect(dispute.id).toMatch(/^disp_/);

    // Controls: the scans find the references that are meant to be kept.
    expect(await tablesContaining(t.database.pool, [paid.payment.id])).toEqual(expect.arrayContaining([expect.stringMatching(/^events: /), expect.stringMatching(/^payments: /)]));

    const secrets = [email, contact, cardId];
    expect(await tablesContaining(t.database.pool, secrets)).toEqual([]);
    expect(await redisContaining(redis, secrets)).toEqual([]);
    // Payment events carry none of Razorpay's card, bank or contact field names either.
    const cardFields = ['card_id', 'card', 'bank', 'wallet', 'vpa', 'contact', 'acquirer_data', 'auth_code', 'email'];
    const { rows } = await t.database.pool.query<{ data: Record<string, unknown> }>(
      `SELECT data FROM events WHERE stream LIKE 'payment-%' OR stream LIKE 'credits-%' OR stream LIKE 'reconciliation-%'`,
    );
    expect(rows.length).toBeGreaterThan(2);
    for (const { data } of rows) for (const f of cardFields) expect(Object.keys(data)).not.toContain(f);
  });
});
