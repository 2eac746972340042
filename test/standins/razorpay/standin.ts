/**
 * A Razorpay stand-in for tests: a local HTTP server speaking the parts of Razorpay's REST API
 * (api.razorpay.com/v1) that our payments feature uses, plus the customer's and Razorpay's side
 * (Checkout, banks, webhooks) as test controls. Point the official `razorpay` SDK at it with
 * `razorpayClient(standin)` from ./sdk.
 *
 * Modelled (what Razorpay does, as its docs and the SDK 2.9.8 source describe it):
 * - HTTP Basic auth with key id/secret on every call; 401 + Razorpay's error shape otherwise.
 * - Errors: `{"error":{"code","description","source","step","reason","metadata"[,"field"]}}`;
 *   validation failures and unknown ids are 400 BAD_REQUEST_ERROR ("The id provided does not exist"),
 *   unknown URLs too. Descriptions Razorpay documents are copied; the others are close paraphrases,
 *   so assert on status, code and field rather than on wording.
 * - Orders: POST /v1/orders (integer amount ≥ 100 subunits, currency from a fixed list, receipt ≤ 40
 *   chars and unique, notes ≤ 15 keys of ≤ 256 chars, unknown fields refused "is/are not required"),
 *   GET /v1/orders (count/skip/from/to/receipt), GET /v1/orders/:id, GET /v1/orders/:id/payments.
 *   Status created → attempted (first payment attempt) → paid (captured amount covers it); attempts,
 *   amount_paid, amount_due.
 * - Payments: GET /v1/payments, GET /v1/payments/:id, POST /v1/payments/:id/capture (only
 *   authorized; amount must equal the authorized amount; currency must match), fee/tax on capture,
 *   amount_refunded/refund_status, status refunded when fully refunded. Empty notes come back as `[]`.
 * - Refunds: POST /v1/payments/:id/refund (captured payments only; partial refunds up to the
 *   unrefunded amount; speed normal|optimum), the X-Refund-Idempotency header (key ≥ 10 chars of
 *   [A-Za-z0-9_-]; same key + same request → the same refund; same key + different request → 400
 *   "Different request with the same idempotency key has already been processed."; while the first
 *   is still in progress → 409), GET /v1/refunds, /v1/refunds/:id, /v1/payments/:id/refunds[/:id].
 *   A refund is created `pending`; `processRefund` settles it processed or failed (a failed refund
 *   gives the amount back to the payment).
 * - Disputes: GET /v1/disputes, /v1/disputes/:id, POST /v1/disputes/:id/accept (→ lost);
 *   `openDispute`/`reviewDispute`/`closeDispute` play the issuing bank. amount_deducted is set when lost.
 * - Checkout: `pay` returns what Checkout's handler receives, razorpay_signature =
 *   HMAC-SHA256(`order_id|payment_id`, key secret) hex, or on failure the error object Checkout
 *   passes to `payment.failed`. `lateAuthorize` turns a failed payment into an authorized/captured
 *   one (Razorpay's late authorisation: payment.failed followed by payment.captured).
 * - Auto-refunds (Razorpay's "Auto-Refunds" page): only `authorized` payments are auto-refunded,
 *   never captured ones. A payment on an order that is already `paid` (Checkout left open in a
 *   second tab) is authorised and auto-refunded at once: payment.authorized, then refund.created;
 *   Checkout's handler still gets a validly signed response for it. `expireAuthorization` plays
 *   the capture timeout passing on an authorized payment (also a late authorisation after it):
 *   refund.created. Either way the payment ends `refunded` with `captured: false`,
 *   `amount_refunded` = amount and `refund_status: 'full'` (how Razorpay tells an auto-refund apart
 *   in `payload.payment.entity.captured`); the refund is `pending` until `processRefund`.
 * - Webhooks: `{"entity":"event","account_id","event","contains","payload":{<name>:{"entity":…}},"created_at"}`
 *   with entity snapshots as of the event, POSTed with X-Razorpay-Signature (hex HMAC-SHA256 of the
 *   exact raw body under the webhook secret) and x-razorpay-event-id (unique per event; duplicates
 *   and retries reuse it and the original signature, even after the secret rotates). Bodies escape
 *   `/` and non-ASCII as PHP's json_encode does, so only raw-body verification passes. Events, in
 *   Razorpay's order: payment.authorized, payment.captured, order.paid, payment.failed,
 *   refund.created/processed/failed, payment.dispute.created/under_review/won/lost/closed.
 *   Non-2xx answers are retried with exponential backoff (scaled down to milliseconds).
 *   Delivery policies (in order, duplicate, reorder, delay, drop, manual) and forged/unsigned sends.
 * - Failures on demand: `injectFault` makes the next calls answer 5xx (Razorpay JSON, HTML or
 *   empty), reset the connection, process but lose the response, or answer slowly.
 *
 * Not modelled: other API resources (customers, payment links, transfers, settlements, /v2 …),
 * PATCH edits, form-encoded bodies, `expand[]`, partial payments (`partial_payment` is stored only),
 * per-account maximum amounts, zero- and three-decimal currencies, dispute contest/evidence,
 * the capture timeout's clock (tests call `expireAuthorization`), instant-refund speed changes (refund.speed_changed),
 * rate limits (429) unless injected, webhook disabling after 24 h of failures, and Checkout's UI
 * beyond the minimal script and form in ./checkout (served at /v1/checkout.js for browser tests).
 * `pay` accepts an amount or currency different from the order's (Razorpay would not) so tests can
 * play a tampered or mismatched payment.
 */
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { serveCheckout } from './checkout';
import {
  CURRENCIES,
  Collection,
  DisputeEntity,
  MIN_AMOUNT_SUBUNITS,
  NOTES_MAX_KEYS,
  NOTE_VALUE_MAX_CHARS,
  Notes,
  OrderEntity,
  PaymentEntity,
  RECEIPT_MAX_CHARS,
  RazorpayApiError,
  RefundEntity,
  badRequest,
  clone,
  hmacHex,
  newId,
  notFound,
  outNotes,
  phpJson,
  serverError,
  unauthorized,
} from './entities';
import { DeliveryReason, PolicyScope, WebhookDelivery, WebhookEvent, WebhookPolicy, WebhookQueue } from './webhook-queue';

export type { DisputeEntity, OrderEntity, PaymentEntity, RefundEntity } from './entities';
export type { PolicyScope, WebhookDelivery, WebhookEvent, WebhookPolicy } from './webhook-queue';

export interface RazorpayStandinOptions {
  keyId?: string;
  keySecret?: string;
  webhookSecret?: string;
  /** Where webhooks go; settable later with `setWebhookUrl` (events wait until then). */
  webhookUrl?: string | null;
  accountId?: string;
  /** Automatic delivery attempts per event (first + retries). Default 3. */
  webhookMaxAttempts?: number;
  /** First retry delay, doubling. Default 50 ms. */
  webhookRetryBaseDelayMs?: number;
  /** How long a delivery waits for our answer. Default 5000 ms (Razorpay's expectation). */
  webhookTimeoutMs?: number;
  /** Clock in ms for created_at and friends (default Date.now). */
  now?: () => number;
}

export interface FaultMatch {
  method?: string;
  /** A pathname prefix (e.g. '/v1/payments') or a pattern. */
  path?: string | RegExp;
}

export type ApiFault =
  /** Answer `status` without doing anything; `body` razorpay = SERVER_ERROR JSON (default), html = a proxy page, empty = nothing. */
  | { kind: 'status'; status: number; body?: 'razorpay' | 'html' | 'empty'; times?: number; match?: FaultMatch }
  /** Drop the connection before doing anything. */
  | { kind: 'reset'; times?: number; match?: FaultMatch }
  /** Do the work (create the refund, capture…), then drop the connection instead of answering. */
  | { kind: 'lostResponse'; times?: number; match?: FaultMatch }
  /** Wait `ms` before doing the work. */
  | { kind: 'latency'; ms: number; times?: number; match?: FaultMatch };

export interface ApiCall {
  method: string;
  path: string;
  /** What the client got: a status, or null when the connection was dropped. */
  status: number | null;
  outcome: 'answered' | 'reset' | 'lostResponse';
  idempotencyKey: string | null;
  atMs: number;
}

export interface PayOptions {
  outcome: 'captured' | 'authorized' | 'failed';
  /** Defaults to the order's amount due; a different value plays a mismatched payment. */
  amount?: number;
  currency?: string;
  email?: string;
  contact?: string;
  notes?: Notes;
}

/** What Razorpay Checkout passes to the merchant's `handler` on success. */
export interface CheckoutSuccess {
  razorpay_payment_id: string;
  razorpay_order_id: string;
  razorpay_signature: string;
}

/** What Checkout passes to `rzp.on('payment.failed', …)` as `response.error`. */
export interface CheckoutFailure {
  code: string;
  description: string;
  source: string;
  step: string;
  reason: string;
  metadata: { order_id: string; payment_id: string };
}

export interface PayResult {
  checkout: CheckoutSuccess | null;
  error: CheckoutFailure | null;
  payment: PaymentEntity;
  /** Ids of the webhook events this raised, in Razorpay's order. */
  eventIds: string[];
}

interface Ctx {
  body: Record<string, unknown>;
  query: URLSearchParams;
  idempotencyKey: string | null;
}
type Handler = (params: string[], ctx: Ctx) => unknown;

const BODY_MAX_BYTES = 64 * 1024;
const MAX_API_CALLS_KEPT = 10_000;
const MAX_FAULTS = 100;
const LIST_MAX_COUNT = 100;
const LIST_DEFAULT_COUNT = 10;
const DISPUTE_RESPOND_BY_S = 7 * 24 * 3600;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{10,255}$/;
const ORDER_FIELDS = new Set(['amount', 'currency', 'receipt', 'notes', 'partial_payment', 'first_payment_min_amount', 'payment_capture', 'payment']);
const REFUND_FIELDS = new Set(['amount', 'speed', 'notes', 'receipt']);

export async function startRazorpayStandin(options: RazorpayStandinOptions = {}): Promise<RazorpayStandin> {
  const standin = new RazorpayStandin(options);
  await standin.listen();
  return standin;
}

export class RazorpayStandin {
  readonly keyId: string;
  readonly keySecret: string;
  readonly accountId: string;
  private baseUrl = '';
  private readonly server: Server;
  private readonly webhooks: WebhookQueue;
  private readonly now: () => number;
  private readonly orders = new Map<string, OrderEntity>();
  private readonly payments = new Map<string, PaymentEntity>();
  private readonly refunds = new Map<string, RefundEntity>();
  private readonly disputes = new Map<string, DisputeEntity>();
  private readonly receipts = new Map<string, string>();
  private readonly idempotency = new Map<string, { request: string; refundId: string }>();
  private readonly inProgress = new Set<string>();
  private readonly calls: ApiCall[] = [];
  private faults: (ApiFault & { left: number })[] = [];
  private readonly sleeps = new Set<() => void>();
  private readonly routes: [string, RegExp, Handler][];

  constructor(options: RazorpayStandinOptions = {}) {
    this.keyId = options.keyId ?? newId('rzp_test');
    this.keySecret = options.keySecret ?? newId('secret');
    this.accountId = options.accountId ?? newId('acc');
    this.now = options.now ?? Date.now;
    this.webhooks = new WebhookQueue({
      secret: options.webhookSecret ?? newId('whsec'),
      url: options.webhookUrl ?? null,
      maxAttempts: options.webhookMaxAttempts ?? 3,
      retryBaseDelayMs: options.webhookRetryBaseDelayMs ?? 50,
      timeoutMs: options.webhookTimeoutMs ?? 5_000,
    });
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) send(res, 500, serverError(500));
      });
    });
    const id = '([A-Za-z0-9_]+)';
    this.routes = [
      ['POST', /^\/v1\/orders$/, (_, c) => this.createOrder(c.body)],
      ['GET', /^\/v1\/orders$/, (_, c) => this.list([...this.orders.values()], c.query, (o) => !c.query.has('receipt') || o.receipt === c.query.get('receipt'))],
      ['GET', re(`/v1/orders/${id}`), ([o]) => clone(this.mustFind(this.orders, o))],
      ['GET', re(`/v1/orders/${id}/payments`), ([o]) => this.list(this.paymentsOf(this.mustFind(this.orders, o).id), new URLSearchParams())],
      ['GET', /^\/v1\/payments$/, (_, c) => this.list([...this.payments.values()], c.query)],
      ['GET', re(`/v1/payments/${id}`), ([p]) => clone(this.mustFind(this.payments, p))],
      ['POST', re(`/v1/payments/${id}/capture`), ([p], c) => this.captureViaApi(p, c.body)],
      ['POST', re(`/v1/payments/${id}/refund`), ([p], c) => this.refundWithKey(p, c.body, c.idempotencyKey)],
      ['GET', re(`/v1/payments/${id}/refunds`), ([p], c) => this.list(this.refundsOf(this.mustFind(this.payments, p).id), c.query)],
      ['GET', re(`/v1/payments/${id}/refunds/${id}`), ([p, r]) => clone(this.refundOfPayment(p, r))],
      ['GET', /^\/v1\/refunds$/, (_, c) => this.list([...this.refunds.values()], c.query)],
      ['GET', re(`/v1/refunds/${id}`), ([r]) => clone(this.mustFind(this.refunds, r))],
      ['GET', /^\/v1\/disputes$/, (_, c) => this.list([...this.disputes.values()], c.query)],
      ['GET', re(`/v1/disputes/${id}`), ([d]) => clone(this.mustFind(this.disputes, d))],
      ['POST', re(`/v1/disputes/${id}/accept`), ([d]) => this.acceptDispute(d)],
    ];
  }

  /** Base URL to give the SDK's axios instance (`razorpayClient` does it). */
  get url(): string {
    return this.baseUrl;
  }
  get webhookSecret(): string {
    return this.webhooks.secret;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.webhooks.close();
    this.sleeps.forEach((wake) => wake());
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  // ── The customer and Razorpay's side ──────────────────────────────────────────────────────

  /** The customer pays an order through Checkout: the payment, its webhooks, and what Checkout hands back. */
  pay(orderId: string, options: PayOptions): PayResult {
    const order = this.orders.get(orderId);
    if (!order) throw new Error(`no order ${orderId}`);
    // A paid order's amount_due is 0: a second tab still pays the amount it was opened with.
    const amount = options.amount ?? (order.status === 'paid' ? order.amount : order.amount_due);
    if (!Number.isInteger(amount) || amount <= 0) throw new Error(`bad amount ${amount}`);
    const at = this.nowS();
    const payment: PaymentEntity = {
      id: newId('pay'),
      entity: 'payment',
      amount,
      currency: options.currency ?? order.currency,
      status: 'created',
      order_id: order.id,
      invoice_id: null,
      international: false,
      method: 'card',
      amount_refunded: 0,
      refund_status: null,
      captured: false,
      description: null,
      card_id: newId('card'),
      bank: null,
      wallet: null,
      vpa: null,
      email: options.email ?? 'customer@example.com',
      contact: options.contact ?? '+15555550100',
      notes: outNotes(options.notes ?? {}),
      fee: null,
      tax: null,
      error_code: null,
      error_description: null,
      error_source: null,
      error_step: null,
      error_reason: null,
      acquirer_data: { auth_code: null },
      created_at: at,
    };
    this.payments.set(payment.id, payment);
    order.attempts++;
    if (order.status === 'created') order.status = 'attempted';

    if (options.outcome === 'failed') {
      Object.assign(payment, {
        status: 'failed',
        error_code: 'BAD_REQUEST_ERROR',
        error_description: 'Payment failed',
        error_source: 'bank',
        error_step: 'payment_authorization',
        error_reason: 'payment_failed',
      });
      const eventIds = this.raise([this.paymentEvent('payment.failed', payment)]);
      const error: CheckoutFailure = {
        code: 'BAD_REQUEST_ERROR',
        description: 'Payment failed',
        source: 'bank',
        step: 'payment_authorization',
        reason: 'payment_failed',
        metadata: { order_id: order.id, payment_id: payment.id },
      };
      return { checkout: null, error, payment: clone(payment), eventIds };
    }
    // A duplicate on a paid order is never captured: Razorpay auto-refunds it immediately.
    const duplicate = order.status === 'paid';
    const events = duplicate ? [...this.authorize(payment, false), ...this.autoRefund(payment)] : this.authorize(payment, options.outcome === 'captured');
    const checkout: CheckoutSuccess = {
      razorpay_payment_id: payment.id,
      razorpay_order_id: order.id,
      razorpay_signature: hmacHex(this.keySecret, `${order.id}|${payment.id}`),
    };
    return { checkout, error: null, payment: clone(payment), eventIds: this.raise(events) };
  }

  /** Late authorisation: a failed payment becomes authorized (and captured, by default) after all. */
  lateAuthorize(paymentId: string, options: { capture?: boolean } = {}): { payment: PaymentEntity; eventIds: string[] } {
    const payment = this.payments.get(paymentId);
    if (!payment || payment.status !== 'failed') throw new Error(`payment ${paymentId} is not failed`);
    Object.assign(payment, { error_code: null, error_description: null, error_source: null, error_step: null, error_reason: null });
    const eventIds = this.raise(this.authorize(payment, options.capture ?? true));
    return { payment: clone(payment), eventIds };
  }

  /**
   * The capture timeout (3 days by default) passes on an authorized payment nobody captured, or a
   * late authorisation arrives after it: Razorpay auto-refunds it (refund.created).
   */
  expireAuthorization(paymentId: string): { payment: PaymentEntity; refund: RefundEntity; eventIds: string[] } {
    const payment = this.payments.get(paymentId);
    if (!payment || payment.status !== 'authorized') throw new Error(`payment ${paymentId} is not authorized`);
    const eventIds = this.raise(this.autoRefund(payment));
    const refund = this.refundsOf(paymentId).at(-1)!;
    return { payment: clone(payment), refund: clone(refund), eventIds };
  }

  /** The bank settles a pending refund. */
  processRefund(refundId: string, outcome: 'processed' | 'failed'): RefundEntity {
    const refund = this.refunds.get(refundId);
    if (!refund) throw new Error(`no refund ${refundId}`);
    if (refund.status !== 'pending') throw new Error(`refund ${refundId} is already ${refund.status}`);
    const payment = this.payments.get(refund.payment_id)!;
    refund.status = outcome;
    if (outcome === 'processed') refund.acquirer_data.arn = String(10_000_000_000 + Math.floor(Math.random() * 89_999_999_999));
    else this.applyRefunded(payment, -refund.amount);
    this.raise([this.refundEvent(`refund.${outcome}`, refund, payment)]);
    return clone(refund);
  }

  /** The customer's bank raises a chargeback. */
  openDispute(paymentId: string, amount: number, options: { reasonCode?: string; reasonDescription?: string } = {}): DisputeEntity {
    const payment = this.payments.get(paymentId);
    if (!payment || (payment.status !== 'captured' && payment.status !== 'refunded')) throw new Error(`payment ${paymentId} is not captured`);
    if (!Number.isInteger(amount) || amount <= 0 || amount > payment.amount) throw new Error(`dispute amount ${amount} outside 1..${payment.amount}`);
    const at = this.nowS();
    const dispute: DisputeEntity = {
      id: newId('disp'),
      entity: 'dispute',
      payment_id: payment.id,
      amount,
      currency: payment.currency,
      amount_deducted: 0,
      reason_code: options.reasonCode ?? 'chargeback',
      reason_description: options.reasonDescription ?? 'The customer disputes the charge with the issuing bank.',
      respond_by: at + DISPUTE_RESPOND_BY_S,
      status: 'open',
      phase: 'chargeback',
      created_at: at,
    };
    this.disputes.set(dispute.id, dispute);
    this.raise([this.disputeEvent('payment.dispute.created', dispute)]);
    return clone(dispute);
  }

  /** We contested; the bank is reviewing. */
  reviewDispute(disputeId: string): DisputeEntity {
    const dispute = this.disputes.get(disputeId);
    if (!dispute || dispute.status !== 'open') throw new Error(`dispute ${disputeId} is not open`);
    dispute.status = 'under_review';
    this.raise([this.disputeEvent('payment.dispute.under_review', dispute)]);
    return clone(dispute);
  }

  /** The bank decides. A lost dispute deducts its amount. */
  closeDispute(disputeId: string, outcome: 'won' | 'lost' | 'closed'): DisputeEntity {
    const dispute = this.disputes.get(disputeId);
    if (!dispute || (dispute.status !== 'open' && dispute.status !== 'under_review')) throw new Error(`dispute ${disputeId} is not open or under review`);
    this.settleDispute(dispute, outcome);
    return clone(dispute);
  }

  // ── Inspection ────────────────────────────────────────────────────────────────────────────

  order(id: string): OrderEntity | undefined {
    return this.snapshot(this.orders, id);
  }
  payment(id: string): PaymentEntity | undefined {
    return this.snapshot(this.payments, id);
  }
  refund(id: string): RefundEntity | undefined {
    return this.snapshot(this.refunds, id);
  }
  dispute(id: string): DisputeEntity | undefined {
    return this.snapshot(this.disputes, id);
  }
  /** Every API request received, oldest first (method, path, answer, idempotency key; never credentials). */
  apiCalls(): ApiCall[] {
    return this.calls.map((c) => ({ ...c }));
  }

  // ── API failures ──────────────────────────────────────────────────────────────────────────

  /** The next `times` (default 1) matching API calls fail this way. Faults are consumed in the order added. */
  injectFault(fault: ApiFault): void {
    if (this.faults.length >= MAX_FAULTS) throw new Error(`more than ${MAX_FAULTS} faults`);
    const left = fault.times ?? 1;
    if (!(left >= 1)) throw new Error('times must be ≥ 1 (Infinity for always)');
    this.faults.push({ ...fault, left });
  }
  clearFaults(): void {
    this.faults = [];
  }

  // ── Webhooks ──────────────────────────────────────────────────────────────────────────────

  setWebhookUrl(url: string | null): void {
    this.webhooks.setUrl(url);
  }
  /** Events raised from now on are signed with the new secret; earlier ones keep their signature. */
  setWebhookSecret(secret: string): void {
    this.webhooks.secret = secret;
  }
  setWebhookPolicy(policy: WebhookPolicy, scope?: PolicyScope): void {
    this.webhooks.setPolicy(policy, scope);
  }
  webhookEvents(): WebhookEvent[] {
    return this.webhooks.all();
  }
  webhookEvent(id: string): WebhookEvent | undefined {
    return this.webhooks.get(id);
  }
  pendingWebhooks(): WebhookEvent[] {
    return this.webhooks.all().filter((e) => e.state === 'held');
  }
  droppedWebhooks(): WebhookEvent[] {
    return this.webhooks.all().filter((e) => e.state === 'dropped');
  }
  deliver(eventId: string): Promise<WebhookDelivery> {
    return this.webhooks.deliver(eventId);
  }
  deliverAll(): Promise<WebhookDelivery[]> {
    return this.webhooks.deliverAll();
  }
  redeliver(eventId: string): Promise<WebhookDelivery> {
    return this.webhooks.redeliver(eventId);
  }
  /** Every delivery attempt and what our server answered. */
  webhookDeliveries(): WebhookDelivery[] {
    return this.webhooks.deliveries();
  }
  whenWebhooksIdle(timeoutMs?: number): Promise<void> {
    return this.webhooks.whenIdle(timeoutMs);
  }
  /** A well-formed event signed with the wrong secret (by default a payment.captured for a payment Razorpay never saw). */
  sendForgedWebhook(body: string = this.fabricatedEventBody()): Promise<WebhookDelivery> {
    return this.webhooks.sendRaw(body, { signature: hmacHex(`not-${this.webhooks.secret}`, body), eventId: newId('evt') }, 'forged');
  }
  /** A well-formed event without X-Razorpay-Signature. */
  sendUnsignedWebhook(body: string = this.fabricatedEventBody()): Promise<WebhookDelivery> {
    return this.webhooks.sendRaw(body, { signature: null, eventId: newId('evt') }, 'unsigned');
  }
  /** Anything: `signature: 'valid'` signs `body` with the current secret. */
  sendRawWebhook(body: string, headers: { signature: string | 'valid' | null; eventId: string | null }, reason: DeliveryReason = 'raw'): Promise<WebhookDelivery> {
    const signature = headers.signature === 'valid' ? hmacHex(this.webhooks.secret, body) : headers.signature;
    return this.webhooks.sendRaw(body, { signature, eventId: headers.eventId }, reason);
  }

  // ── HTTP ──────────────────────────────────────────────────────────────────────────────────

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://standin');
    const method = req.method ?? 'GET';
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    // Checkout's script and form (the customer's browser, no API key): ./checkout.
    if (path.startsWith('/v1/checkout') && (await serveCheckout(this, req, res, url))) return;
    const key = req.headers['x-refund-idempotency'];
    const call: ApiCall = { method, path, status: null, outcome: 'answered', idempotencyKey: typeof key === 'string' ? key : null, atMs: Date.now() };
    this.calls.push(call);
    if (this.calls.length > MAX_API_CALLS_KEPT) this.calls.shift();

    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      call.status = 413;
      return send(res, 413, badRequest('The request body is too large').body);
    }
    const early = this.takeFault(method, path, (f) => f.kind === 'status' || f.kind === 'reset');
    if (early?.kind === 'reset') {
      call.outcome = 'reset';
      req.socket.destroy();
      return;
    }
    if (early?.kind === 'status') {
      call.status = early.status;
      if (early.body === 'html') {
        res.writeHead(early.status, { 'content-type': 'text/html' }).end(`<html><body><h1>${early.status} Service Temporarily Unavailable</h1></body></html>`);
      } else if (early.body === 'empty') res.writeHead(early.status).end();
      else send(res, early.status, serverError(early.status));
      return;
    }
    const lost = this.takeFault(method, path, (f) => f.kind === 'lostResponse');
    const latency = this.takeFault(method, path, (f) => f.kind === 'latency');

    let status = 200;
    let out: unknown;
    try {
      this.authenticate(req.headers.authorization);
      const [handler, params] = this.route(method, path);
      const ctx: Ctx = { body: parseBody(raw), query: url.searchParams, idempotencyKey: call.idempotencyKey };
      // A refund holds its idempotency key while it is worked on, so a concurrent retry sees 409.
      const lock = method === 'POST' && path.endsWith('/refund') && call.idempotencyKey !== null ? call.idempotencyKey : null;
      if (lock && this.inProgress.has(lock)) throw conflict();
      if (lock) this.inProgress.add(lock);
      try {
        if (latency?.kind === 'latency') await this.sleep(latency.ms);
        out = handler(params, ctx);
      } finally {
        if (lock) this.inProgress.delete(lock);
      }
    } catch (e) {
      if (!(e instanceof RazorpayApiError)) throw e;
      status = e.status;
      out = e.body;
    }
    if (lost) {
      call.outcome = 'lostResponse';
      req.socket.destroy();
      return;
    }
    call.status = status;
    send(res, status, out);
  }

  private authenticate(header: string | undefined): void {
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
    if (!basic) throw unauthorized('Authentication failed');
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const id = colon < 0 ? decoded : decoded.slice(0, colon);
    const secret = colon < 0 ? '' : decoded.slice(colon + 1);
    if (id !== this.keyId) throw unauthorized('The api key provided is invalid');
    if (secret !== this.keySecret) throw unauthorized('The api secret provided is invalid');
  }

  private route(method: string, path: string): [Handler, string[]] {
    for (const [m, pattern, handler] of this.routes) {
      const match = pattern.exec(path);
      if (m === method && match) return [handler, match.slice(1)];
    }
    throw badRequest('The requested URL was not found on the server.');
  }

  private takeFault(method: string, path: string, kind: (f: ApiFault) => boolean): ApiFault | null {
    const i = this.faults.findIndex((f) => kind(f) && matches(f.match, method, path));
    if (i < 0) return null;
    const f = this.faults[i];
    if (--f.left <= 0) this.faults.splice(i, 1);
    return f;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.sleeps.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.sleeps.add(wake);
    });
  }

  // ── API handlers ──────────────────────────────────────────────────────────────────────────

  private createOrder(body: Record<string, unknown>): OrderEntity {
    const amount = integerField(body, 'amount', true)!;
    const currency = body.currency ?? 'INR';
    if (typeof currency !== 'string' || !CURRENCIES.has(currency)) throw badRequest('The selected currency is invalid.', 'currency');
    if (amount < MIN_AMOUNT_SUBUNITS) throw badRequest(`The amount must be at least ${currency} ${(MIN_AMOUNT_SUBUNITS / 100).toFixed(2)}`, 'amount');
    const receipt = body.receipt ?? null;
    if (receipt !== null && typeof receipt !== 'string') throw badRequest('The receipt must be a string.', 'receipt');
    if (receipt !== null && receipt.length > RECEIPT_MAX_CHARS) throw badRequest(`The receipt may not be greater than ${RECEIPT_MAX_CHARS} characters.`, 'receipt');
    const notes = notesField(body.notes);
    if (body.partial_payment !== undefined && typeof body.partial_payment !== 'boolean') throw badRequest('The partial payment field must be true or false.', 'partial_payment');
    const extra = Object.keys(body).filter((k) => !ORDER_FIELDS.has(k));
    if (extra.length > 0) throw badRequest(`${extra.join(', ')} is/are not required and should not be sent`, extra[0]);
    if (receipt !== null && this.receipts.has(receipt)) throw badRequest('An order with the same receipt value has already been created', 'receipt');
    const order: OrderEntity = {
      id: newId('order'),
      entity: 'order',
      amount,
      amount_paid: 0,
      amount_due: amount,
      currency,
      receipt,
      offer_id: null,
      status: 'created',
      attempts: 0,
      notes: outNotes(notes),
      created_at: this.nowS(),
      ...(body.partial_payment === undefined ? {} : { partial_payment: body.partial_payment as boolean }),
    };
    this.orders.set(order.id, order);
    if (receipt !== null) this.receipts.set(receipt, order.id);
    return clone(order);
  }

  private captureViaApi(paymentId: string, body: Record<string, unknown>): PaymentEntity {
    const payment = this.mustFind(this.payments, paymentId);
    const amount = integerField(body, 'amount', true)!;
    if (payment.captured) throw badRequest('This payment has already been captured');
    if (payment.status !== 'authorized') throw badRequest('Only payments which have been authorized and not yet captured can be captured');
    if (body.currency !== undefined && body.currency !== payment.currency) throw badRequest('The currency should be the same as the payment currency', 'currency');
    if (amount !== payment.amount) throw badRequest('Capture amount must be equal to the amount authorized', 'amount');
    this.raise(this.capture(payment));
    return clone(payment);
  }

  private refundWithKey(paymentId: string, body: Record<string, unknown>, key: string | null): RefundEntity {
    if (key === null) return this.refundViaApi(paymentId, body);
    if (!IDEMPOTENCY_KEY.test(key)) throw badRequest('The idempotency key must be at least 10 characters of letters, digits, hyphens and underscores.', 'X-Refund-Idempotency');
    const request = JSON.stringify([paymentId, sortKeys(body)]);
    const prior = this.idempotency.get(key);
    if (prior && prior.request !== request) {
      throw new RazorpayApiError(400, {
        error: {
          code: 'BAD_REQUEST_ERROR',
          description: 'Different request with the same idempotency key has already been processed.',
          source: 'NA',
          step: 'NA',
          reason: 'NA',
          metadata: {},
        },
      });
    }
    if (prior) return clone(this.refunds.get(prior.refundId)!);
    const refund = this.refundViaApi(paymentId, body);
    this.idempotency.set(key, { request, refundId: refund.id });
    return refund;
  }

  private refundViaApi(paymentId: string, body: Record<string, unknown>): RefundEntity {
    const payment = this.mustFind(this.payments, paymentId);
    const extra = Object.keys(body).filter((k) => !REFUND_FIELDS.has(k));
    if (extra.length > 0) throw badRequest(`${extra.join(', ')} is/are not required and should not be sent`, extra[0]);
    const requested = integerField(body, 'amount', false);
    const speed = body.speed ?? 'normal';
    if (speed !== 'normal' && speed !== 'optimum') throw badRequest('The selected speed is invalid.', 'speed');
    const notes = notesField(body.notes);
    const receipt = body.receipt ?? null;
    if (receipt !== null && (typeof receipt !== 'string' || receipt.length > RECEIPT_MAX_CHARS))
      throw badRequest(`The receipt may not be greater than ${RECEIPT_MAX_CHARS} characters.`, 'receipt');
    if (payment.status === 'refunded') throw badRequest('The payment has been fully refunded already');
    if (payment.status !== 'captured') throw badRequest('Only captured payments can be refunded');
    const refundable = payment.amount - payment.amount_refunded;
    const amount = requested ?? refundable;
    if (amount <= 0) throw badRequest('The refund amount must be greater than zero', 'amount');
    if (amount > refundable) throw badRequest('The total refund amount is greater than the refund payment amount', 'amount');
    const refund: RefundEntity = {
      id: newId('rfnd'),
      entity: 'refund',
      amount,
      currency: payment.currency,
      payment_id: payment.id,
      notes: outNotes(notes),
      receipt: receipt as string | null,
      acquirer_data: { arn: null },
      created_at: this.nowS(),
      batch_id: null,
      status: 'pending',
      speed_processed: 'normal',
      speed_requested: speed,
    };
    this.refunds.set(refund.id, refund);
    this.applyRefunded(payment, amount);
    this.raise([this.refundEvent('refund.created', refund, payment)]);
    return clone(refund);
  }

  private refundOfPayment(paymentId: string, refundId: string): RefundEntity {
    const refund = this.mustFind(this.refunds, refundId);
    if (refund.payment_id !== this.mustFind(this.payments, paymentId).id) throw notFound();
    return refund;
  }

  private acceptDispute(disputeId: string): DisputeEntity {
    const dispute = this.mustFind(this.disputes, disputeId);
    if (dispute.status !== 'open') throw badRequest('Only an open dispute can be accepted');
    this.settleDispute(dispute, 'lost');
    return clone(dispute);
  }

  // ── State changes shared by API and controls ──────────────────────────────────────────────

  private authorize(payment: PaymentEntity, thenCapture: boolean): RaisedEvent[] {
    payment.status = 'authorized';
    payment.acquirer_data.auth_code = String(100_000 + Math.floor(Math.random() * 900_000));
    const events = [this.paymentEvent('payment.authorized', payment)];
    return thenCapture ? [...events, ...this.capture(payment)] : events;
  }

  private capture(payment: PaymentEntity): RaisedEvent[] {
    payment.status = 'captured';
    payment.captured = true;
    payment.fee = Math.max(1, Math.round(payment.amount * 0.02)); // 2% incl. 18% GST, the Indian standard plan
    payment.tax = Math.round((payment.fee * 18) / 118);
    const events = [this.paymentEvent('payment.captured', payment)];
    const order = this.orders.get(payment.order_id)!;
    if (order.status !== 'paid') {
      order.amount_paid += payment.amount;
      order.amount_due = Math.max(0, order.amount - order.amount_paid);
      if (order.amount_paid >= order.amount) {
        order.status = 'paid';
        events.push({ event: 'order.paid', contains: ['payment', 'order'], payload: { payment: { entity: clone(payment) }, order: { entity: clone(order) } } });
      }
    }
    return events;
  }

  /** An auto-refund: the whole authorised amount goes back; the payment was never captured. */
  private autoRefund(payment: PaymentEntity): RaisedEvent[] {
    const refund: RefundEntity = {
      id: newId('rfnd'),
      entity: 'refund',
      amount: payment.amount,
      currency: payment.currency,
      payment_id: payment.id,
      notes: [],
      receipt: null,
      acquirer_data: { arn: null },
      created_at: this.nowS(),
      batch_id: null,
      status: 'pending',
      speed_processed: 'normal',
      speed_requested: 'normal',
    };
    this.refunds.set(refund.id, refund);
    this.applyRefunded(payment, payment.amount);
    return [this.refundEvent('refund.created', refund, payment)];
  }

  private applyRefunded(payment: PaymentEntity, delta: number): void {
    payment.amount_refunded += delta;
    const full = payment.amount_refunded >= payment.amount;
    payment.refund_status = payment.amount_refunded === 0 ? null : full ? 'full' : 'partial';
    // A failed auto-refund leaves an uncaptured payment authorized, never captured.
    payment.status = full ? 'refunded' : payment.captured ? 'captured' : 'authorized';
  }

  private settleDispute(dispute: DisputeEntity, outcome: 'won' | 'lost' | 'closed'): void {
    dispute.status = outcome;
    if (outcome === 'lost') dispute.amount_deducted = dispute.amount;
    this.raise([this.disputeEvent(`payment.dispute.${outcome}`, dispute)]);
  }

  // ── Webhook events ────────────────────────────────────────────────────────────────────────

  private paymentEvent(event: string, payment: PaymentEntity): RaisedEvent {
    return { event, contains: ['payment'], payload: { payment: { entity: clone(payment) } } };
  }
  private refundEvent(event: string, refund: RefundEntity, payment: PaymentEntity): RaisedEvent {
    return { event, contains: ['refund', 'payment'], payload: { refund: { entity: clone(refund) }, payment: { entity: clone(payment) } } };
  }
  private disputeEvent(event: string, dispute: DisputeEntity): RaisedEvent {
    const payment = this.payments.get(dispute.payment_id)!;
    return { event, contains: ['payment', 'dispute'], payload: { payment: { entity: clone(payment) }, dispute: { entity: clone(dispute) } } };
  }

  private raise(events: RaisedEvent[]): string[] {
    const at = this.nowS();
    const items = events.map((e) => ({
      event: e.event,
      body: phpJson({ entity: 'event', account_id: this.accountId, event: e.event, contains: e.contains, payload: e.payload, created_at: at }),
    }));
    return this.webhooks.publish(items).map((ev) => ev.id);
  }

  private fabricatedEventBody(): string {
    const payment = {
      id: newId('pay'),
      entity: 'payment',
      amount: 100_000,
      currency: 'USD',
      status: 'captured',
      order_id: newId('order'),
      captured: true,
      notes: [],
      created_at: this.nowS(),
    };
    return phpJson({
      entity: 'event',
      account_id: this.accountId,
      event: 'payment.captured',
      contains: ['payment'],
      payload: { payment: { entity: payment } },
      created_at: this.nowS(),
    });
  }

  // ── Helpers ───────────────────────────────────────────────────────────────────────────────

  private nowS(): number {
    return Math.floor(this.now() / 1000);
  }

  private mustFind<T>(map: Map<string, T>, id: string): T {
    const found = map.get(id);
    if (!found) throw notFound();
    return found;
  }

  private snapshot<T>(map: Map<string, T>, id: string): T | undefined {
    const found = map.get(id);
    return found === undefined ? undefined : clone(found);
  }

  private paymentsOf(orderId: string): PaymentEntity[] {
    return [...this.payments.values()].filter((p) => p.order_id === orderId);
  }
  private refundsOf(paymentId: string): RefundEntity[] {
    return [...this.refunds.values()].filter((r) => r.payment_id === paymentId);
  }

  /** Razorpay's collections: newest first, `count` (≤ 100, default 10), `skip`, `from`/`to` in unix seconds. */
  private list<T extends { created_at: number }>(items: T[], query: URLSearchParams, keep: (item: T) => boolean = () => true): Collection<T> {
    const count = query.has('count') ? Number(query.get('count')) : LIST_DEFAULT_COUNT;
    if (!Number.isInteger(count) || count < 1) throw badRequest('The count must be at least 1.', 'count');
    if (count > LIST_MAX_COUNT) throw badRequest(`The count may not be greater than ${LIST_MAX_COUNT}.`, 'count');
    const skip = query.has('skip') ? Number(query.get('skip')) : 0;
    if (!Number.isInteger(skip) || skip < 0) throw badRequest('The skip must be at least 0.', 'skip');
    const from = query.has('from') ? Number(query.get('from')) : -Infinity;
    const to = query.has('to') ? Number(query.get('to')) : Infinity;
    const page = [...items]
      .reverse()
      .filter((i) => i.created_at >= from && i.created_at <= to && keep(i))
      .slice(skip, skip + count)
      .map(clone);
    return { entity: 'collection', count: page.length, items: page };
  }
}

interface RaisedEvent {
  event: string;
  contains: string[];
  payload: Record<string, { entity: unknown }>;
}

function re(path: string): RegExp {
  return new RegExp(`^${path}$`);
}

function matches(match: FaultMatch | undefined, method: string, path: string): boolean {
  if (!match) return true;
  if (match.method && match.method.toUpperCase() !== method) return false;
  if (match.path === undefined) return true;
  return typeof match.path === 'string' ? path.startsWith(match.path) : match.path.test(path);
}

function conflict(): RazorpayApiError {
  return new RazorpayApiError(409, {
    error: {
      code: 'BAD_REQUEST_ERROR',
      description: 'A request with the same idempotency key is being processed. Retry after some time.',
      source: 'NA',
      step: 'NA',
      reason: 'NA',
      metadata: {},
    },
  });
}

function integerField(body: Record<string, unknown>, name: string, required: boolean): number | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === '') {
    if (required) throw badRequest(`The ${name} field is required.`, name);
    return undefined;
  }
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw badRequest(`The ${name} must be an integer.`, name);
  return n;
}

function notesField(value: unknown): Notes {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest('The notes must be an object of key-value pairs.', 'notes');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > NOTES_MAX_KEYS) throw badRequest(`The notes may not have more than ${NOTES_MAX_KEYS} items.`, 'notes');
  const notes: Notes = {};
  for (const [k, v] of entries) {
    if (typeof v !== 'string' && typeof v !== 'number') throw badRequest(`The notes.${k} must be a string or a number.`, 'notes');
    if (String(v).length > NOTE_VALUE_MAX_CHARS) throw badRequest(`The notes.${k} may not be greater than ${NOTE_VALUE_MAX_CHARS} characters.`, 'notes');
    notes[k] = v;
  }
  return notes;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

function parseBody(raw: string): Record<string, unknown> {
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw badRequest('The request body is not valid JSON.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_MAX_BYTES) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
