import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Kysely } from 'kysely';
import { invalid, notFound, unavailable } from '../../platform/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { handleCommand, loadAggregate } from '../../platform/event-sourcing/command-handler';
import { CommandContext } from '../../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { formatUsd, parseUsd } from '../../platform/money';
import { Logger } from '../../platform/observability/logger';
import { KycGate } from '../../privacy/kyc/kyc-gate';
import { LOGGER } from '../../platform/observability/tokens';
import { PaymentOrderState, paymentDecider } from '../payment-order/payment.decide';
import { MICRO_USD_PER_CENT, paymentStream } from '../payment.events';
import { PAYMENT_JOBS, paymentsConfig, RAZORPAY, enabled } from '../payments.tokens';
import { PaymentJobs } from '../queue/payment-jobs';
import { RazorpayError, RazorpayGateway } from '../razorpay/razorpay-gateway';
import { checkoutSignatureValid } from '../razorpay/signatures';

const RAZORPAY_ID = /^[A-Za-z]+_[A-Za-z0-9]{1,40}$/;
export const MY_ORDERS_LIMIT = 50;

/** What Razorpay Checkout needs to open (plus our view of the order). */
export interface CheckoutOrder {
  orderId: string;
  keyId: string;
  amount: number;
  currency: 'USD';
  amountUsd: string;
  receipt: string;
}

export interface OrderView {
  orderId: string;
  amountUsd: string;
  amountMicroUsd: string;
  currency: string;
  /** credited once any payment of it was credited; pending until then. */
  status: 'pending' | 'credited';
  payments: { paymentId: string; razorpayStatus: string | null; credited: boolean }[];
}

export function checkRazorpayId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !RAZORPAY_ID.test(value)) throw invalid('invalid_id', `${field} must be a Razorpay id such as pay_… or order_….`);
  return value;
}

/** Top-up orders and the Checkout callback, for the signed-in developer. */
@Injectable()
export class PaymentOrdersService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RAZORPAY) private readonly razorpay: RazorpayGateway | null,
    @Inject(PAYMENT_JOBS) private readonly jobs: PaymentJobs | null,
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly kyc: KycGate,
  ) {}

  async createOrder(accountId: string, amountUsd: string, context: CommandContext): Promise<CheckoutOrder> {
    const payments = paymentsConfig(this.config);
    const razorpay = enabled(this.razorpay);
    await this.kyc.assertAllowed(accountId, 'payment orders'); // KYC_REQUIRED (P17)
    const amountMicroUsd = parseUsd(amountUsd);
    if (amountMicroUsd < payments.topupMinMicroUsd || amountMicroUsd > payments.topupMaxMicroUsd) {
      throw invalid('amount_out_of_range', `A top-up is between ${formatUsd(payments.topupMinMicroUsd)} and ${formatUsd(payments.topupMaxMicroUsd)} USD.`);
    }
    if (amountMicroUsd % MICRO_USD_PER_CENT !== 0n) throw invalid('invalid_amount', 'A top-up is in whole cents, e.g. "25.00".');
    const amountCents = Number(amountMicroUsd / MICRO_USD_PER_CENT);
    // Unique per order (Razorpay refuses a repeated receipt); ≤ 40 characters.
    const receipt = `tg_${randomBytes(12).toString('hex')}`;
    let order;
    try {
      order = await razorpay.createOrder({ amountCents, receipt, notes: { tollgateAccountId: accountId, tollgateReceipt: receipt } });
    } catch (err) {
      throw this.upstream(err, 'creating an order');
    }
    await handleCommand(
      this.store,
      paymentStream(order.id),
      paymentDecider,
      { type: 'CreateOrder', orderId: order.id, accountId, amountMicroUsd, amountCents, currency: 'USD', receipt, at: context.occurredAt },
      context,
    );
    return { orderId: order.id, keyId: payments.keyId, amount: amountCents, currency: 'USD', amountUsd: formatUsd(amountMicroUsd), receipt };
  }

  /**
   * The Checkout handler's response. The signature is checked over the order id we stored for
   * this developer (never the one the browser sent); a valid one queues the same reconciliation
   * a webhook would, so callback, webhooks and sweeps converge on one credit.
   */
  async verifyCheckout(
    accountId: string,
    orderId: string,
    input: { paymentId: string; orderId: string | null; signature: string },
    context: CommandContext,
  ): Promise<{ orderId: string; paymentId: string; status: 'verifying' | 'credited' }> {
    const payments = paymentsConfig(this.config);
    const jobs = enabled(this.jobs);
    const state = await this.ownOrder(accountId, orderId);
    if (input.orderId !== null && input.orderId !== orderId) throw invalid('order_mismatch', 'razorpay_order_id is not this order.');
    if (!checkoutSignatureValid(payments.keySecret, orderId, input.paymentId, input.signature)) {
      this.logger.warn({ orderId, paymentId: input.paymentId, accountId }, 'checkout signature refused');
      throw invalid('invalid_signature', 'The payment signature does not match this order.');
    }
    await handleCommand(this.store, paymentStream(orderId), paymentDecider, { type: 'VerifyCheckout', orderId, paymentId: input.paymentId, at: context.occurredAt }, context);
    if (state.payments[input.paymentId]?.credited) return { orderId, paymentId: input.paymentId, status: 'credited' };
    await jobs.add({ kind: 'payment', paymentId: input.paymentId, orderId, source: 'checkout' });
    return { orderId, paymentId: input.paymentId, status: 'verifying' };
  }

  async order(accountId: string, orderId: string): Promise<OrderView> {
    paymentsConfig(this.config);
    const state = await this.ownOrder(accountId, orderId);
    const order = state.order!;
    const payments = Object.entries(state.payments).map(([paymentId, p]) => ({ paymentId, razorpayStatus: p.status, credited: p.credited }));
    return {
      orderId,
      amountUsd: formatUsd(order.amountMicroUsd),
      amountMicroUsd: order.amountMicroUsd.toString(),
      currency: order.currency,
      status: payments.some((p) => p.credited) ? 'credited' : 'pending',
      payments,
    };
  }

  async orders(accountId: string): Promise<{ orderId: string; amountMicroUsd: string; status: string; createdAt: string }[]> {
    paymentsConfig(this.config);
    const rows = await this.db
      .selectFrom('payment_orders')
      .select(['order_id', 'amount_micro_usd', 'status', 'created_at'])
      .where('account_id', '=', accountId)
      .orderBy('created_at', 'desc')
      .limit(MY_ORDERS_LIMIT)
      .execute();
    return rows.map((r) => ({ orderId: r.order_id, amountMicroUsd: String(r.amount_micro_usd), status: r.status, createdAt: r.created_at.toISOString() }));
  }

  /** Another developer's order answers exactly like a missing one. */
  private async ownOrder(accountId: string, orderId: string): Promise<PaymentOrderState> {
    checkRazorpayId(orderId, 'orderId');
    const { state } = await loadAggregate(this.store, paymentStream(orderId), paymentDecider);
    if (!state.order || state.order.accountId !== accountId) throw notFound('order_not_found', 'No such payment order.');
    return state;
  }

  private upstream(err: unknown, doing: string): Error {
    if (err instanceof RazorpayError) {
      this.logger.warn({ status: err.statusCode, code: err.code, description: err.description }, `Razorpay failed while ${doing}`);
      return unavailable('razorpay_unavailable', `The payment provider failed while ${doing}; try again.`);
    }
    return err as Error;
  }
}
