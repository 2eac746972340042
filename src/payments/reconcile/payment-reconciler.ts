import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { Kysely } from 'kysely';
import { DomainError } from '../../platform/errors/domain-error';
import { now } from '../../platform/clock';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { handleCommand, loadAggregate } from '../../platform/event-sourcing/command-handler';
import { CommandContext } from '../../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { CreditsService } from '../../ledger/credits.service';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { PaymentCredits } from '../payment-credits';
import { creditedPaymentOf, PaymentCommand, paymentDecider, PaymentOrderState } from '../payment-order/payment.decide';
import { centsToMicroUsd, DiscrepancyData, DiscrepancyKind, paymentStream } from '../payment.events';
import { enabled, RAZORPAY, WORKER_ACTOR } from '../payments.tokens';
import { RazorpayError, RazorpayGateway, RzpPayment } from '../razorpay/razorpay-gateway';

/** What a reconciliation did, for logs and tests. */
export type PaymentOutcome = 'credited' | 'already_credited' | 'failed' | 'pending' | 'discrepancy';
export type RefundOutcome = 'settled' | 'failed' | 'pending' | 'discrepancy';
export type DisputeOutcome = 'frozen' | 'released' | 'lost' | 'discrepancy';

/**
 * Why a payment that belongs to our order, with the right amount and currency, is still no
 * credit: Razorpay's word on the money (`captured`, `status`) and the order's other payments.
 * null = it may be credited (once captured). Shared with the daily report.
 */
export function uncreditable(payment: Pick<RzpPayment, 'status' | 'captured'>, creditedPaymentId: string | null, paymentId: string): DiscrepancyKind | null {
  if (creditedPaymentId !== null && creditedPaymentId !== paymentId) return 'duplicate_payment';
  if (payment.status === 'refunded') return payment.captured ? 'refunded_before_credit' : 'not_captured';
  return null;
}

const summary = (p: RzpPayment): string => `${p.status}, ${p.captured ? 'captured' : 'never captured'}, ${p.amount} ${p.currency}`;

export function workerContext(causation: string): CommandContext {
  return { actorId: WORKER_ACTOR, occurredAt: now(), correlationId: causation };
}

/**
 * The worker's side of payments. Every job starts by asking Razorpay's API for the thing it
 * is about (a webhook body, a callback or a sweep only says "look at this"), so duplicates,
 * reordering and missed webhooks all converge on the same idempotent commands.
 *
 * Capture policy: an authorized payment whose order, amount and currency match is captured by
 * us (POST /payments/:id/capture) and then credited, so credits never depend on the account's
 * auto-capture setting. A mismatching payment is never captured (Razorpay auto-refunds
 * uncaptured payments); it is reported instead.
 */
@Injectable()
export class PaymentReconciler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(RAZORPAY) private readonly gateway: RazorpayGateway | null,
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly credits: CreditsService,
    private readonly paymentCredits: PaymentCredits,
  ) {}

  private get razorpay(): RazorpayGateway {
    return enabled(this.gateway);
  }

  async reconcilePayment(input: { paymentId: string; orderId: string | null }, context: CommandContext): Promise<PaymentOutcome> {
    let payment = await fetchOrFail(() => this.razorpay.fetchPayment(input.paymentId));
    const orderId = payment.order_id;
    if (input.orderId !== null && orderId !== input.orderId) {
      // A callback carrying a payment of another order: report it against the order it named.
      await this.discrepancy(
        input.orderId,
        { kind: 'order_mismatch', orderId: input.orderId, paymentId: payment.id, accountId: null, expected: input.orderId, actual: orderId ?? 'none' },
        context,
      );
      return 'discrepancy';
    }
    if (!orderId) {
      await this.discrepancy(payment.id, { kind: 'unknown_order', orderId: null, paymentId: payment.id, accountId: null, expected: null, actual: 'no order' }, context);
      return 'discrepancy';
    }
    const { state } = await loadAggregate(this.store, paymentStream(orderId), paymentDecider);
    const order = state.order;
    if (!order) {
      await this.discrepancy(
        orderId,
        { kind: 'unknown_order', orderId, paymentId: payment.id, accountId: null, expected: null, actual: `${payment.amount} ${payment.currency}` },
        context,
      );
      return 'discrepancy';
    }
    await this.observe(orderId, payment, context);
    if (state.payments[payment.id]?.credited) return 'already_credited';
    if (payment.status === 'failed') return 'failed';
    if (payment.status !== 'authorized' && payment.status !== 'captured' && payment.status !== 'refunded') return 'pending';
    const base = { orderId, paymentId: payment.id, accountId: order.accountId };
    if (payment.currency !== order.currency) {
      await this.discrepancy(orderId, { ...base, kind: 'currency_mismatch', expected: order.currency, actual: payment.currency }, context);
      return 'discrepancy';
    }
    if (payment.amount !== order.amountCents) {
      await this.discrepancy(
        orderId,
        { ...base, kind: 'amount_mismatch', expected: `${order.amountCents} ${order.currency}`, actual: `${payment.amount} ${payment.currency}` },
        context,
      );
      return 'discrepancy';
    }
    // Checked before capturing: a duplicate is left uncaptured, so Razorpay gives it back by itself.
    const refused = uncreditable(payment, creditedPaymentOf(state), payment.id);
    if (refused) return this.refuseCredit(refused, base, payment, context);
    if (payment.status === 'authorized') {
      payment = await this.capture(payment);
      await this.observe(orderId, payment, context);
      const after = uncreditable(payment, null, payment.id);
      if (after) return this.refuseCredit(after, base, payment, context);
    }
    if (payment.status !== 'captured' || payment.captured !== true) return 'pending';
    let credit;
    try {
      credit = await this.credits.recordPurchase(order.accountId, { paymentId: payment.id, orderId, amountMicroUsd: order.amountMicroUsd }, context);
    } catch (err) {
      // Another payment of this order won the race to the credits stream.
      if (err instanceof DomainError && err.code === 'order_already_credited') return this.refuseCredit('duplicate_payment', base, payment, context);
      throw err;
    }
    await this.apply(orderId, { type: 'RecordCredit', orderId, paymentId: payment.id, amountMicroUsd: order.amountMicroUsd, at: context.occurredAt }, context);
    return credit.recorded ? 'credited' : 'already_credited';
  }

  private async refuseCredit(
    kind: DiscrepancyKind,
    base: { orderId: string; paymentId: string; accountId: string },
    payment: RzpPayment,
    context: CommandContext,
  ): Promise<PaymentOutcome> {
    const expected = kind === 'duplicate_payment' ? 'one payment per order' : 'captured';
    await this.discrepancy(base.orderId, { ...base, kind, expected, actual: summary(payment) }, context);
    return 'discrepancy';
  }

  /** A refund Razorpay told us about: processed settles it, failed gives the credits back. */
  async reconcileRefund(input: { razorpayRefundId: string; paymentId: string }, context: CommandContext): Promise<RefundOutcome> {
    const refund = await fetchOrFail(() => this.razorpay.fetchRefund(input.razorpayRefundId));
    const notes = refund.notes && !Array.isArray(refund.notes) ? refund.notes : {};
    const refundId = typeof notes.tollgateRefundId === 'string' ? notes.tollgateRefundId : null;
    const orderId = typeof notes.tollgateOrderId === 'string' ? notes.tollgateOrderId : await this.orderOfPayment(refund.payment_id);
    const state = orderId ? (await loadAggregate(this.store, paymentStream(orderId), paymentDecider)).state : null;
    const ours = refundId && state ? state.refunds[refundId] : undefined;
    if (!orderId || !refundId || !ours || ours.paymentId !== refund.payment_id) {
      // Razorpay's auto-refund of a payment it never captured: the payment's own reconciliation reports it.
      const payment = await fetchOrFail(() => this.razorpay.fetchPayment(refund.payment_id));
      if (!payment.captured) {
        await this.reconcilePayment({ paymentId: payment.id, orderId: null }, context);
        return 'discrepancy';
      }
      // A refund made outside Tollgate (e.g. the Razorpay dashboard): finance must look at it.
      await this.discrepancy(
        orderId ?? refund.payment_id,
        {
          kind: 'unknown_refund',
          orderId,
          paymentId: refund.payment_id,
          accountId: state?.order?.accountId ?? null,
          expected: null,
          actual: `${refund.id} ${refund.amount} ${refund.currency} ${refund.status}`,
        },
        context,
      );
      return 'discrepancy';
    }
    await this.apply(orderId, { type: 'RecordRefundSubmitted', refundId, razorpayRefundId: refund.id, status: refund.status, at: context.occurredAt }, context);
    if (refund.status === 'processed') {
      await this.apply(orderId, { type: 'SettleRefund', refundId, razorpayRefundId: refund.id, at: context.occurredAt }, context);
      return 'settled';
    }
    if (refund.status === 'failed') {
      await this.failRefund(orderId, refundId, ours.accountId, refund.id, 'Razorpay reported the refund as failed', context);
      return 'failed';
    }
    return 'pending';
  }

  /** Credits first (restored), then the order's record: a retry after a crash in between finishes the second. */
  async failRefund(orderId: string, refundId: string, accountId: string, razorpayRefundId: string | null, reason: string, context: CommandContext): Promise<void> {
    await this.paymentCredits.reverseRefund(accountId, refundId, reason, context);
    await this.apply(orderId, { type: 'FailRefund', refundId, razorpayRefundId, reason, at: context.occurredAt }, context);
  }

  /** Freeze on any news of a dispute (once); then release if won or closed, settle if lost. */
  async reconcileDispute(input: { disputeId: string; paymentId: string }, context: CommandContext): Promise<DisputeOutcome> {
    const dispute = await fetchOrFail(() => this.razorpay.fetchDispute(input.disputeId));
    const orderId = await this.orderOfPayment(dispute.payment_id);
    const state = orderId ? (await loadAggregate(this.store, paymentStream(orderId), paymentDecider)).state : null;
    const accountId = state?.order?.accountId ?? null;
    if (!orderId || !accountId || !state?.payments[dispute.payment_id]?.credited || dispute.currency !== state.order?.currency) {
      await this.discrepancy(
        orderId ?? dispute.payment_id,
        {
          kind: 'unknown_dispute',
          orderId,
          paymentId: dispute.payment_id,
          accountId,
          expected: null,
          actual: `${dispute.id} ${dispute.amount} ${dispute.currency} ${dispute.status}`,
        },
        context,
      );
      return 'discrepancy';
    }
    await this.paymentCredits.freezeForDispute(accountId, dispute.id, dispute.payment_id, centsToMicroUsd(dispute.amount), context);
    if (dispute.status === 'won' || dispute.status === 'closed') {
      await this.paymentCredits.releaseDispute(accountId, dispute.id, context);
      return 'released';
    }
    if (dispute.status === 'lost') {
      await this.paymentCredits.recordDisputeLost(accountId, dispute.id, context);
      return 'lost';
    }
    return 'frozen';
  }

  async discrepancy(streamId: string, d: Omit<DiscrepancyData, 'foundAt' | 'source' | 'runId'>, context: CommandContext): Promise<void> {
    this.logger.warn({ kind: d.kind, orderId: d.orderId, paymentId: d.paymentId }, 'payment discrepancy');
    await this.apply(streamId, { type: 'RecordDiscrepancy', discrepancy: { ...d, source: 'worker', runId: null }, at: context.occurredAt }, context);
  }

  async apply(streamId: string, command: PaymentCommand, context: CommandContext): Promise<PaymentOrderState> {
    return (await handleCommand(this.store, paymentStream(streamId), paymentDecider, command, context)).state;
  }

  private async observe(orderId: string, payment: RzpPayment, context: CommandContext): Promise<void> {
    await this.apply(
      orderId,
      {
        type: 'ObservePayment',
        orderId,
        paymentId: payment.id,
        status: payment.status,
        captured: payment.captured === true,
        amountCents: payment.amount,
        currency: payment.currency,
        errorReason: payment.error_reason ?? null,
        at: context.occurredAt,
      },
      context,
    );
  }

  private async capture(payment: RzpPayment): Promise<RzpPayment> {
    try {
      return await this.razorpay.capturePayment(payment.id, payment.amount, payment.currency);
    } catch (err) {
      // Captured meanwhile (auto-capture, another worker): read the truth again.
      if (err instanceof RazorpayError && !err.transient) return fetchOrFail(() => this.razorpay.fetchPayment(payment.id));
      throw err;
    }
  }

  private async orderOfPayment(paymentId: string): Promise<string | null> {
    const row = await this.db.selectFrom('payments').select('order_id').where('payment_id', '=', paymentId).executeTakeFirst();
    if (row) return row.order_id;
    const payment = await fetchOrFail(() => this.razorpay.fetchPayment(paymentId));
    return payment.order_id;
  }
}

/** A definite refusal (e.g. an id Razorpay does not know) will not change on retry: fail the job at once, visibly. */
async function fetchOrFail<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof RazorpayError && !err.transient) throw new UnrecoverableError(err.message);
    throw err;
  }
}
