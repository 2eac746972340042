import { IncomingHttpHeaders, Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import Razorpay from 'razorpay';
import { validatePaymentVerification } from 'razorpay/dist/utils/razorpay-utils';
import { RazorpayStandin, startRazorpayStandin } from './standin';
import { SdkError, razorpayClient, refundWithIdempotencyKey } from './sdk';

const ID = (prefix: string) => new RegExp(`^${prefix}_[A-Za-z0-9]{14}$`);

interface Received {
  raw: string;
  headers: IncomingHttpHeaders;
  body: { entity: string; account_id: string; event: string; contains: string[]; payload: Record<string, { entity: Record<string, unknown> }>; created_at: number };
}

/** Our side of the webhooks: records the raw bytes and headers, answers what `answer` says. */
class Receiver {
  readonly received: Received[] = [];
  answer: (r: Received) => number = () => 200;
  /** How long our handler takes to answer (to make overlapping deliveries observable). */
  answerAfterMs = 0;
  inFlight = 0;
  maxInFlight = 0;
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const r: Received = { raw, headers: req.headers, body: JSON.parse(raw) as Received['body'] };
        this.received.push(r);
        const status = this.answer(r);
        setTimeout(() => {
          this.inFlight--;
          res.writeHead(status).end();
        }, this.answerAfterMs);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks/razorpay`;
  }
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
  /** Deliveries about one payment (or refund/dispute), in arrival order. */
  about(id: string): Received[] {
    return this.received.filter((r) => r.raw.includes(`"${id}"`));
  }
  eventsAbout(id: string): string[] {
    return this.about(id).map((r) => r.body.event);
  }
}

async function rejection(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (e) {
    return e as SdkError;
  }
  throw new Error('expected a rejection');
}

describe('Razorpay stand-in, driven by the official razorpay SDK', () => {
  const receiver = new Receiver();
  let standin: RazorpayStandin;
  let rzp: Razorpay;
  let receiptSeq = 0;
  const receipt = () => `topup-${process.pid}-${++receiptSeq}`;

  async function newOrder(amount = 2_500, notes: Record<string, string> = { accountId: 'acct-1' }) {
    return rzp.orders.create({ amount, currency: 'USD', receipt: receipt(), notes });
  }

  async function capturedPayment(amount = 5_000) {
    const order = await newOrder(amount);
    const paid = standin.pay(order.id, { outcome: 'captured' });
    await standin.whenWebhooksIdle();
    return { order, paymentId: paid.payment.id };
  }

  beforeAll(async () => {
    await receiver.start();
    standin = await startRazorpayStandin({ webhookSecret: 'whsec_test_secret', webhookUrl: receiver.url });
    rzp = razorpayClient(standin);
  });
  afterEach(async () => {
    standin.setWebhookPolicy({ kind: 'inOrder' });
    standin.clearFaults();
    receiver.answer = () => 200;
    await standin.whenWebhooksIdle();
  });
  afterAll(async () => {
    await standin?.close();
    await receiver.stop();
  });

  describe('orders', () => {
    it('creates and fetches an order, and refuses a second order with the same receipt', async () => {
      const r = receipt();
      const before = Math.floor(Date.now() / 1000);
      const order = await rzp.orders.create({ amount: 2_500, currency: 'USD', receipt: r, notes: { accountId: 'acct-1', topupId: 't-1' } });
      expect(order).toMatchObject({
        entity: 'order',
        amount: 2_500,
        amount_paid: 0,
        amount_due: 2_500,
        currency: 'USD',
        receipt: r,
        status: 'created',
        attempts: 0,
        notes: { accountId: 'acct-1', topupId: 't-1' },
      });
      expect(order.id).toMatch(ID('order'));
      expect(order.created_at).toBeGreaterThanOrEqual(before);
      expect(order.created_at).toBeLessThan(before + 5); // unix seconds, not ms
      expect(await rzp.orders.fetch(order.id)).toEqual(order);
      expect((await rzp.orders.all({ receipt: r } as never)).items.map((o) => o.id)).toEqual([order.id]);

      const dup = await rejection(rzp.orders.create({ amount: 9_900, currency: 'USD', receipt: r }));
      expect(dup).toMatchObject({ statusCode: 400, error: { code: 'BAD_REQUEST_ERROR', field: 'receipt', source: 'business', reason: 'input_validation_failed', metadata: {} } });
    });

    it("answers invalid requests with 400 and Razorpay's error shape", async () => {
      const cases: [Record<string, unknown>, string, string?][] = [
        [{ amount: 99, currency: 'USD' }, 'amount', 'The amount must be at least USD 1.00'],
        [{ amount: 10.5, currency: 'USD' }, 'amount', 'The amount must be an integer.'],
        [{ currency: 'USD' }, 'amount', 'The amount field is required.'],
        [{ amount: 1_000, currency: 'XYZ' }, 'currency'],
        [{ amount: 1_000, currency: 'USD', receipt: 'r'.repeat(41) }, 'receipt'],
        [{ amount: 1_000, currency: 'USD', notes: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v'])) }, 'notes'],
        [{ amount: 1_000, currency: 'USD', notes: { k: 'v'.repeat(257) } }, 'notes'],
        [{ amount: 1_000, currency: 'USD', colour: 'red' }, 'colour', 'colour is/are not required and should not be sent'],
      ];
      for (const [body, field, description] of cases) {
        const e = await rejection(rzp.orders.create(body as never));
        expect(e).toMatchObject({ statusCode: 400, error: { code: 'BAD_REQUEST_ERROR', field } });
        if (description) expect(e.error?.description).toBe(description);
      }
      expect(await rejection(rzp.orders.fetch('order_DoesNotExist00'))).toMatchObject({
        statusCode: 400,
        error: { code: 'BAD_REQUEST_ERROR', description: 'The id provided does not exist' },
      });
      expect(await rejection(rzp.payments.all({ count: 101 }))).toMatchObject({ statusCode: 400, error: { field: 'count' } });
      // The SDK fills in INR when the caller forgets the currency: an app that omits it is billed in rupees.
      expect((await rzp.orders.create({ amount: 1_000, receipt: receipt() } as never)).currency).toBe('INR');
    });
  });

  describe('checkout and payments', () => {
    it('pays an order: checkout signature, payment and order state, and signed webhooks in order', async () => {
      const order = await newOrder(2_500);
      const paid = standin.pay(order.id, { outcome: 'captured', notes: { page: 'https://dash.tollgate.test/credits' } });
      const checkout = paid.checkout!;
      expect(checkout.razorpay_order_id).toBe(order.id);
      expect(checkout.razorpay_payment_id).toMatch(ID('pay'));
      expect(validatePaymentVerification({ order_id: order.id, payment_id: checkout.razorpay_payment_id }, checkout.razorpay_signature, standin.keySecret)).toBe(true);
      expect(validatePaymentVerification({ order_id: order.id, payment_id: checkout.razorpay_payment_id }, checkout.razorpay_signature, 'another-secret')).toBe(false);

      const payment = await rzp.payments.fetch(checkout.razorpay_payment_id);
      expect(payment).toMatchObject({
        entity: 'payment',
        amount: 2_500,
        currency: 'USD',
        status: 'captured',
        captured: true,
        order_id: order.id,
        amount_refunded: 0,
        refund_status: null,
      });
      expect(payment.fee).toBeGreaterThan(0);
      const ofOrder = await rzp.orders.fetchPayments(order.id);
      expect(ofOrder).toMatchObject({ entity: 'collection', count: 1, items: [{ id: payment.id, status: 'captured' }] });
      expect(await rzp.orders.fetch(order.id)).toMatchObject({ status: 'paid', amount_paid: 2_500, amount_due: 0, attempts: 1 });

      await standin.whenWebhooksIdle();
      const hooks = receiver.about(payment.id);
      expect(hooks.map((h) => h.body.event)).toEqual(['payment.authorized', 'payment.captured', 'order.paid']);
      const ids = hooks.map((h) => h.headers['x-razorpay-event-id'] as string);
      ids.forEach((id) => expect(id).toMatch(ID('evt')));
      expect(new Set(ids).size).toBe(3);
      expect(ids).toEqual(paid.eventIds);
      for (const h of hooks) {
        expect(Razorpay.validateWebhookSignature(h.raw, h.headers['x-razorpay-signature'] as string, 'whsec_test_secret')).toBe(true);
        expect(h.headers['content-type']).toBe('application/json');
        expect(h.body).toMatchObject({ entity: 'event', account_id: standin.accountId, created_at: expect.any(Number) });
      }
      // Each payload is a snapshot as of its event; order.paid carries both entities.
      expect(hooks[0].body).toMatchObject({ contains: ['payment'], payload: { payment: { entity: { id: payment.id, status: 'authorized', captured: false } } } });
      expect(hooks[1].body.payload.payment.entity).toMatchObject({ status: 'captured', captured: true });
      expect(hooks[2].body).toMatchObject({ contains: ['payment', 'order'], payload: { order: { entity: { id: order.id, status: 'paid' } } } });
      // Only the raw bytes verify: the body escapes '/' the PHP way, so parse-and-restringify breaks the signature.
      expect(hooks[0].raw).toContain('https:\\/\\/dash.tollgate.test');
      expect(Razorpay.validateWebhookSignature(JSON.stringify(hooks[0].body), hooks[0].headers['x-razorpay-signature'] as string, 'whsec_test_secret')).toBe(false);
    });

    it('a second payment on a paid order (Checkout open in two tabs) is authorised, then auto-refunded at once, never captured', async () => {
      const order = await newOrder(2_500);
      const first = standin.pay(order.id, { outcome: 'captured' });
      const second = standin.pay(order.id, { outcome: 'captured' });
      // Checkout's handler gets a validly signed response for the duplicate too.
      expect(validatePaymentVerification({ order_id: order.id, payment_id: second.payment.id }, second.checkout!.razorpay_signature, standin.keySecret)).toBe(true);
      expect(await rzp.payments.fetch(second.payment.id)).toMatchObject({
        status: 'refunded',
        captured: false,
        amount: 2_500,
        amount_refunded: 2_500,
        refund_status: 'full',
        order_id: order.id,
      });
      expect(await rzp.payments.fetch(first.payment.id)).toMatchObject({ status: 'captured', captured: true });
      expect(await rzp.orders.fetch(order.id)).toMatchObject({ status: 'paid', amount_paid: 2_500, attempts: 2 });
      const refunds = (await rzp.payments.fetchMultipleRefund(second.payment.id)).items;
      expect(refunds).toEqual([expect.objectContaining({ amount: 2_500, status: 'pending', notes: [] })]);
      expect(await rejection(rzp.payments.capture(second.payment.id, 2_500, 'USD'))).toMatchObject({ statusCode: 400 });
      expect(await rejection(rzp.payments.refund(second.payment.id, { amount: 100 }))).toMatchObject({ statusCode: 400 });

      await standin.whenWebhooksIdle();
      const hooks = receiver.about(second.payment.id);
      expect(hooks.map((h) => h.body.event)).toEqual(['payment.authorized', 'refund.created']);
      // How Razorpay tells an auto-refund apart: payload.payment.entity.captured is false.
      expect(hooks[1].body.payload.payment.entity).toMatchObject({ status: 'refunded', captured: false });
      expect(hooks[1].body.payload.refund.entity).toMatchObject({ id: refunds[0].id, payment_id: second.payment.id, amount: 2_500 });
      standin.processRefund(refunds[0].id, 'processed');
      await standin.whenWebhooksIdle();
      expect(receiver.eventsAbout(second.payment.id)).toEqual(['payment.authorized', 'refund.created', 'refund.processed']);
    });

    it('an authorized payment nobody captures is auto-refunded when the capture timeout passes; so is a late authorisation', async () => {
      const order = await newOrder(1_200);
      const { payment } = standin.pay(order.id, { outcome: 'authorized' });
      const expired = standin.expireAuthorization(payment.id);
      expect(expired.payment).toMatchObject({ status: 'refunded', captured: false, amount_refunded: 1_200 });
      expect(expired.refund).toMatchObject({ amount: 1_200, status: 'pending' });
      expect(await rzp.orders.fetch(order.id)).toMatchObject({ status: 'attempted', amount_paid: 0 });
      expect(() => standin.expireAuthorization(payment.id)).toThrow(/not authorized/);

      const failed = standin.pay(order.id, { outcome: 'failed' });
      standin.lateAuthorize(failed.payment.id, { capture: false });
      standin.expireAuthorization(failed.payment.id);
      await standin.whenWebhooksIdle();
      expect(receiver.eventsAbout(payment.id)).toEqual(['payment.authorized', 'refund.created']);
      expect(receiver.eventsAbout(failed.payment.id)).toEqual(['payment.failed', 'payment.authorized', 'refund.created']);
      expect(receiver.about(failed.payment.id)[0].body.payload.payment.entity).toMatchObject({ status: 'failed', captured: false, error_reason: 'payment_failed' });
    });

    it('captures an authorized payment through the SDK, and refuses bad captures', async () => {
      const order = await newOrder(4_000);
      const { payment } = standin.pay(order.id, { outcome: 'authorized' });
      await standin.whenWebhooksIdle();
      expect(receiver.eventsAbout(payment.id)).toEqual(['payment.authorized']);
      expect(await rzp.orders.fetch(order.id)).toMatchObject({ status: 'attempted', amount_paid: 0 });

      expect(await rejection(rzp.payments.capture(payment.id, 3_999, 'USD'))).toMatchObject({
        statusCode: 400,
        error: { field: 'amount', description: 'Capture amount must be equal to the amount authorized' },
      });
      expect(await rejection(rzp.payments.capture(payment.id, 4_000, 'INR'))).toMatchObject({ statusCode: 400, error: { field: 'currency' } });
      expect(await rzp.payments.capture(payment.id, 4_000, 'USD')).toMatchObject({ id: payment.id, status: 'captured', captured: true });
      expect(await rejection(rzp.payments.capture(payment.id, 4_000, 'USD'))).toMatchObject({ statusCode: 400, error: { description: 'This payment has already been captured' } });
      await standin.whenWebhooksIdle();
      expect(receiver.eventsAbout(payment.id)).toEqual(['payment.authorized', 'payment.captured', 'order.paid']);
    });

    it('fails a payment (Checkout gets the error, order stays attempted), then authorises it late', async () => {
      const order = await newOrder(1_500);
      const failed = standin.pay(order.id, { outcome: 'failed' });
      expect(failed.checkout).toBeNull();
      expect(failed.error).toMatchObject({ code: 'BAD_REQUEST_ERROR', step: 'payment_authorization', metadata: { order_id: order.id, payment_id: failed.payment.id } });
      expect(await rzp.payments.fetch(failed.payment.id)).toMatchObject({ status: 'failed', error_code: 'BAD_REQUEST_ERROR', error_reason: 'payment_failed' });
      expect(await rejection(rzp.payments.capture(failed.payment.id, 1_500, 'USD'))).toMatchObject({ statusCode: 400 });
      expect(await rzp.orders.fetch(order.id)).toMatchObject({ status: 'attempted', attempts: 1 });

      standin.lateAuthorize(failed.payment.id);
      await standin.whenWebhooksIdle();
      expect(receiver.eventsAbout(failed.payment.id)).toEqual(['payment.failed', 'payment.authorized', 'payment.captured', 'order.paid']);
      expect(await rzp.orders.fetch(order.id)).toMatchObject({ status: 'paid' });
    });

    it('lets a test play a payment whose amount or currency differs from the order', async () => {
      const order = await newOrder(2_000);
      const { payment } = standin.pay(order.id, { outcome: 'captured', amount: 200, currency: 'INR' });
      expect(await rzp.payments.fetch(payment.id)).toMatchObject({ amount: 200, currency: 'INR', order_id: order.id });
      expect(await rzp.orders.fetch(order.id)).toMatchObject({ status: 'attempted', amount_paid: 200 });
    });
  });

  describe('refunds', () => {
    it('creates pending refunds that the bank processes or fails, with webhooks', async () => {
      const { paymentId } = await capturedPayment(5_000);
      const first = await rzp.payments.refund(paymentId, { amount: 2_000, notes: { reason: 'customer asked' } });
      expect(first).toMatchObject({ entity: 'refund', amount: 2_000, currency: 'USD', payment_id: paymentId, status: 'pending', speed_requested: 'normal' });
      expect(first.id).toMatch(ID('rfnd'));
      expect(await rzp.payments.fetch(paymentId)).toMatchObject({ status: 'captured', amount_refunded: 2_000, refund_status: 'partial' });

      expect(await rejection(rzp.payments.refund(paymentId, { amount: 3_001 }))).toMatchObject({ statusCode: 400, error: { field: 'amount' } });
      standin.processRefund(first.id, 'processed');
      expect(await rzp.refunds.fetch(first.id)).toMatchObject({ status: 'processed' });

      const rest = await rzp.payments.refund(paymentId, {}); // no amount: the rest
      expect(rest.amount).toBe(3_000);
      expect(await rzp.payments.fetch(paymentId)).toMatchObject({ status: 'refunded', amount_refunded: 5_000, refund_status: 'full' });
      expect(await rejection(rzp.payments.refund(paymentId, { amount: 100 }))).toMatchObject({
        statusCode: 400,
        error: { description: 'The payment has been fully refunded already' },
      });

      standin.processRefund(rest.id, 'failed');
      expect(await rzp.payments.fetch(paymentId)).toMatchObject({ status: 'captured', amount_refunded: 2_000, refund_status: 'partial' });
      expect(await rzp.payments.fetchRefund(paymentId, rest.id)).toMatchObject({ status: 'failed' });
      expect((await rzp.payments.fetchMultipleRefund(paymentId)).items.map((r) => r.id)).toEqual([rest.id, first.id]);
      expect((await rzp.refunds.all({ payment_id: paymentId } as never)).count).toBe(2);

      await standin.whenWebhooksIdle();
      const hooks = receiver.about(paymentId).filter((h) => h.body.event.startsWith('refund.'));
      expect(hooks.map((h) => [h.body.event, h.body.payload.refund.entity.id])).toEqual([
        ['refund.created', first.id],
        ['refund.processed', first.id],
        ['refund.created', rest.id],
        ['refund.failed', rest.id],
      ]);
      expect(hooks[0].body.contains).toEqual(['refund', 'payment']);
      expect(hooks[3].body.payload.payment.entity).toMatchObject({ amount_refunded: 2_000 });
    });

    it('honours X-Refund-Idempotency: a retry after a lost response returns the same refund', async () => {
      const { paymentId } = await capturedPayment(5_000);
      const key = `refund-${paymentId}-1`;
      standin.injectFault({ kind: 'lostResponse', match: { path: `/v1/payments/${paymentId}/refund` } });
      await expect(refundWithIdempotencyKey(rzp, paymentId, { amount: 1_000 }, key)).rejects.toMatchObject({ code: 'ECONNRESET' });
      expect(standin.payment(paymentId)).toMatchObject({ amount_refunded: 1_000 }); // done, though the caller never heard
      const retried = await refundWithIdempotencyKey(rzp, paymentId, { amount: 1_000 }, key);
      const again = await refundWithIdempotencyKey(rzp, paymentId, { amount: 1_000 }, key);
      expect(again.id).toBe(retried.id);
      expect((await rzp.payments.fetchMultipleRefund(paymentId)).count).toBe(1);
      expect(await rzp.payments.fetch(paymentId)).toMatchObject({ amount_refunded: 1_000 });

      expect(await rejection(refundWithIdempotencyKey(rzp, paymentId, { amount: 2_000 }, key))).toMatchObject({
        statusCode: 400,
        error: { code: 'BAD_REQUEST_ERROR', description: 'Different request with the same idempotency key has already been processed.' },
      });
      expect(await rejection(refundWithIdempotencyKey(rzp, paymentId, { amount: 1_000 }, 'short'))).toMatchObject({ statusCode: 400 });
      expect(
        standin
          .apiCalls()
          .filter((c) => c.idempotencyKey === key)
          .map((c) => c.outcome),
      ).toEqual(['lostResponse', 'answered', 'answered', 'answered']);
    });

    it('answers 409 to a refund whose idempotency key is still being processed', async () => {
      const { paymentId } = await capturedPayment(5_000);
      standin.injectFault({ kind: 'latency', ms: 200, match: { path: `/v1/payments/${paymentId}/refund` } });
      const key = `refund-${paymentId}-c`;
      const results = await Promise.allSettled([refundWithIdempotencyKey(rzp, paymentId, { amount: 500 }, key), refundWithIdempotencyKey(rzp, paymentId, { amount: 500 }, key)]);
      const statuses = results.map((r) => (r.status === 'fulfilled' ? 200 : (r.reason as SdkError).statusCode)).sort();
      expect(statuses).toEqual([200, 409]);
      expect((await rzp.payments.fetchMultipleRefund(paymentId)).count).toBe(1);
    });
  });

  describe('disputes', () => {
    it('opens, reviews and settles disputes with payment.dispute.* webhooks', async () => {
      const { paymentId } = await capturedPayment(5_000);
      const won = standin.openDispute(paymentId, 5_000);
      expect(won.id).toMatch(ID('disp'));
      expect(await rzp.disputes.fetch(won.id)).toMatchObject({
        entity: 'dispute',
        payment_id: paymentId,
        amount: 5_000,
        currency: 'USD',
        status: 'open',
        amount_deducted: 0,
        phase: 'chargeback',
      });
      standin.reviewDispute(won.id);
      standin.closeDispute(won.id, 'won');
      expect(await rzp.disputes.fetch(won.id)).toMatchObject({ status: 'won', amount_deducted: 0 });

      const lost = standin.openDispute(paymentId, 1_200);
      expect(await rzp.disputes.accept(lost.id)).toMatchObject({ status: 'lost', amount_deducted: 1_200 });
      expect(await rejection(rzp.disputes.accept(lost.id))).toMatchObject({ statusCode: 400 });

      await standin.whenWebhooksIdle();
      const hooks = receiver.about(paymentId).filter((h) => h.body.event.startsWith('payment.dispute.'));
      expect(hooks.map((h) => h.body.event)).toEqual([
        'payment.dispute.created',
        'payment.dispute.under_review',
        'payment.dispute.won',
        'payment.dispute.created',
        'payment.dispute.lost',
      ]);
      expect(hooks[0].body).toMatchObject({
        contains: ['payment', 'dispute'],
        payload: { payment: { entity: { id: paymentId } }, dispute: { entity: { id: won.id, status: 'open' } } },
      });
      expect(hooks[4].body.payload.dispute.entity).toMatchObject({ id: lost.id, amount_deducted: 1_200 });
    });
  });

  describe('webhook delivery policies', () => {
    it('duplicate: the same event id, body and signature again', async () => {
      standin.setWebhookPolicy({ kind: 'duplicate', times: 3 }, { events: ['payment.captured'] });
      const { paymentId } = await capturedPayment();
      const captured = receiver.about(paymentId).filter((h) => h.body.event === 'payment.captured');
      expect(captured).toHaveLength(4);
      expect(new Set(captured.map((h) => `${h.headers['x-razorpay-event-id']}|${h.headers['x-razorpay-signature']}|${h.raw}`)).size).toBe(1);
      expect(receiver.eventsAbout(paymentId).filter((e) => e !== 'payment.captured')).toEqual(['payment.authorized', 'order.paid']);
    });

    it('duplicate, concurrent: copies arrive alongside the first', async () => {
      standin.setWebhookPolicy({ kind: 'duplicate', times: 2, concurrent: true }, { events: ['order.paid'] });
      receiver.answerAfterMs = 30;
      receiver.maxInFlight = 0;
      try {
        const { paymentId } = await capturedPayment();
        expect(receiver.eventsAbout(paymentId)).toEqual(['payment.authorized', 'payment.captured', 'order.paid', 'order.paid', 'order.paid']);
        expect(receiver.maxInFlight).toBe(3);
      } finally {
        receiver.answerAfterMs = 0;
      }
    });

    it("reorder: one action's events arrive reversed", async () => {
      standin.setWebhookPolicy({ kind: 'reorder', order: 'reverse' });
      const { paymentId } = await capturedPayment();
      expect(receiver.eventsAbout(paymentId)).toEqual(['order.paid', 'payment.captured', 'payment.authorized']);
    });

    it('delay: a delayed event is overtaken by later ones', async () => {
      standin.setWebhookPolicy({ kind: 'delay', ms: 100 }, { events: ['payment.authorized'] });
      const { paymentId } = await capturedPayment();
      expect(receiver.eventsAbout(paymentId)).toEqual(['payment.captured', 'order.paid', 'payment.authorized']);
    });

    it('drop: never sent but listed, and can still be sent late', async () => {
      standin.setWebhookPolicy({ kind: 'drop' }, { events: ['payment.captured', 'order.paid'] });
      const { paymentId } = await capturedPayment();
      expect(receiver.eventsAbout(paymentId)).toEqual(['payment.authorized']);
      const dropped = standin.droppedWebhooks().filter((e) => e.body.includes(paymentId));
      expect(dropped.map((e) => e.event)).toEqual(['payment.captured', 'order.paid']);
      expect(await standin.deliver(dropped[1].id)).toMatchObject({ eventId: dropped[1].id, status: 200, reason: 'manual' });
      expect(receiver.eventsAbout(paymentId)).toEqual(['payment.authorized', 'order.paid']);
    });

    it('manual: held until delivered one by one or all at once; every delivery recorded', async () => {
      standin.setWebhookPolicy({ kind: 'manual' });
      const order = await newOrder();
      const { payment, eventIds } = standin.pay(order.id, { outcome: 'captured' });
      await standin.whenWebhooksIdle();
      expect(receiver.about(payment.id)).toHaveLength(0);
      expect(standin.pendingWebhooks().map((e) => e.id)).toEqual(eventIds);

      receiver.answer = (r) => (r.body.event === 'order.paid' ? 503 : 200);
      expect(await standin.deliver(eventIds[2])).toMatchObject({ eventId: eventIds[2], event: 'order.paid', status: 503 });
      const rest = await standin.deliverAll();
      expect(rest.map((d) => [d.event, d.status])).toEqual([
        ['payment.authorized', 200],
        ['payment.captured', 200],
      ]);
      expect(standin.pendingWebhooks()).toEqual([]);
      expect(standin.webhookEvent(eventIds[2])).toMatchObject({ state: 'failed', attempts: 1 });
      expect(await standin.redeliver(eventIds[2])).toMatchObject({ status: 503, reason: 'redeliver' });
    });

    it('retries a non-2xx answer with the same event id until it is accepted, and gives up after the last attempt', async () => {
      let refusals = 2;
      receiver.answer = (r) => (r.body.event === 'payment.authorized' && refusals-- > 0 ? 500 : 200);
      const { paymentId } = await capturedPayment();
      const eventId = receiver.about(paymentId)[0].headers['x-razorpay-event-id'];
      const authorized = standin.webhookDeliveries().filter((d) => d.eventId === eventId);
      expect(authorized.map((d) => [d.reason, d.status])).toEqual([
        ['first', 500],
        ['retry', 500],
        ['retry', 200],
      ]);
      // The retried event is overtaken by the later ones, as with Razorpay.
      expect(receiver.eventsAbout(paymentId)).toEqual(['payment.authorized', 'payment.captured', 'order.paid', 'payment.authorized', 'payment.authorized']);

      receiver.answer = () => 500;
      const order = await newOrder();
      const { eventIds } = standin.pay(order.id, { outcome: 'failed' });
      await standin.whenWebhooksIdle();
      expect(standin.webhookEvent(eventIds[0])).toMatchObject({ state: 'failed', attempts: 3 });
    });

    it('sends forged and unsigned webhooks that do not verify', async () => {
      const forged = await standin.sendForgedWebhook();
      const unsigned = await standin.sendUnsignedWebhook();
      expect([forged.reason, unsigned.reason]).toEqual(['forged', 'unsigned']);
      const [f, u] = receiver.received.slice(-2);
      expect(Razorpay.validateWebhookSignature(f.raw, f.headers['x-razorpay-signature'] as string, 'whsec_test_secret')).toBe(false);
      expect(f.body.event).toBe('payment.captured');
      expect(u.headers['x-razorpay-signature']).toBeUndefined();
      expect(u.headers['x-razorpay-event-id']).toMatch(ID('evt'));
    });

    it('keeps the original signature on redelivery after the webhook secret rotates', async () => {
      const { paymentId } = await capturedPayment();
      const first = receiver.about(paymentId)[0];
      standin.setWebhookSecret('whsec_rotated');
      try {
        await standin.redeliver(first.headers['x-razorpay-event-id'] as string);
        const replay = receiver.received[receiver.received.length - 1];
        expect(replay.raw).toBe(first.raw);
        expect(Razorpay.validateWebhookSignature(replay.raw, replay.headers['x-razorpay-signature'] as string, 'whsec_test_secret')).toBe(true);
        const { paymentId: next } = await capturedPayment();
        const fresh = receiver.about(next)[0];
        expect(Razorpay.validateWebhookSignature(fresh.raw, fresh.headers['x-razorpay-signature'] as string, 'whsec_rotated')).toBe(true);
      } finally {
        standin.setWebhookSecret('whsec_test_secret');
      }
    });
  });

  describe('authentication and injected failures', () => {
    it('refuses a wrong key id, a wrong secret and a missing Authorization header with 401', async () => {
      expect(await rejection(razorpayClient(standin, { keySecret: 'wrong' }).orders.fetch('order_x'))).toMatchObject({
        statusCode: 401,
        error: { code: 'BAD_REQUEST_ERROR', description: 'The api secret provided is invalid' },
      });
      expect(await rejection(razorpayClient(standin, { keyId: 'rzp_test_nobody' }).orders.fetch('order_x'))).toMatchObject({
        statusCode: 401,
        error: { description: 'The api key provided is invalid' },
      });
      const res = await fetch(`${standin.url}/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"amount":1000,"currency":"USD"}' });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'BAD_REQUEST_ERROR', description: 'Authentication failed' } });
    });

    it('fails the next N calls with 5xx, then recovers', async () => {
      const order = await newOrder();
      standin.injectFault({ kind: 'status', status: 503, times: 2, match: { method: 'GET', path: '/v1/orders' } });
      for (let i = 0; i < 2; i++) {
        expect(await rejection(rzp.orders.fetch(order.id))).toMatchObject({ statusCode: 503, error: { code: 'SERVER_ERROR' } });
      }
      expect((await rzp.orders.fetch(order.id)).id).toBe(order.id);

      standin.injectFault({ kind: 'status', status: 502, body: 'html' });
      expect(await rejection(rzp.orders.fetch(order.id))).toEqual({ statusCode: 502, error: undefined }); // the SDK finds no JSON error
    });

    it('drops connections and answers slowly; the SDK then throws a TypeError rather than { statusCode }', async () => {
      const order = await newOrder();
      standin.injectFault({ kind: 'reset' });
      await expect(rzp.orders.fetch(order.id)).rejects.toBeInstanceOf(TypeError);

      standin.injectFault({ kind: 'latency', ms: 150 });
      const started = Date.now();
      await rzp.orders.fetch(order.id);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);

      const impatient = razorpayClient(standin, { timeoutMs: 30 });
      standin.injectFault({ kind: 'latency', ms: 300 });
      await expect(impatient.orders.fetch(order.id)).rejects.toBeInstanceOf(TypeError);
      const calls = standin.apiCalls().filter((c) => c.path === `/v1/orders/${order.id}`);
      expect(calls.slice(-3).map((c) => c.outcome)).toEqual(['reset', 'answered', 'answered']);
    });
  });
});
