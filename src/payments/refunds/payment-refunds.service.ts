import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Kysely } from 'kysely';
import { conflict, notFound } from '../../common/domain-error';
import { KYSELY } from '../../database/database.module';
import { Database } from '../../database/schema';
import { loadAggregate } from '../../event-sourcing/command-handler';
import { CommandContext } from '../../event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../../event-store/event-store.port';
import { CreditsService } from '../../ledger/credits.service';
import { Logger } from '../../observability/logger';
import { LOGGER } from '../../observability/tokens';
import { paymentDecider, RefundStatus } from '../payment.decide';
import { MICRO_USD_PER_CENT, paymentStream } from '../payment.events';
import { enabled, PAYMENT_JOBS, RAZORPAY } from '../payments.tokens';
import { PaymentJobs } from '../queue/payment-jobs';
import { PaymentReconciler } from '../reconcile/payment-reconciler';
import { RazorpayError, RazorpayGateway } from '../razorpay/razorpay-gateway';

export interface RefundView {
  refundId: string;
  paymentId: string;
  orderId: string;
  amountMicroUsd: string;
  /** requested: waiting for Razorpay's answer (retried by the worker); submitted; settled (processed); failed (credits restored). */
  status: RefundStatus;
  razorpayRefundId: string | null;
}

/** Our refund id doubles as Razorpay's X-Refund-Idempotency key (≥ 10 of [A-Za-z0-9_-]). */
export const newRefundId = () => `rf_${randomBytes(12).toString('hex')}`;

/**
 * Admin refunds. Order of effects, so money is never paid out twice or lost:
 * 1. the developer's credits are debited (CreditsRefunded, through a hold: 409 when spent);
 * 2. RefundRequested is recorded on the order (audit: the admin is the actor);
 * 3. Razorpay is asked, with X-Refund-Idempotency = our refund id. A definite refusal restores
 *    the credits (CreditsRefundReversed + RefundFailed); no answer or a 5xx leaves it to the
 *    worker, which retries with the same key (so at most one refund exists at Razorpay).
 * refund.processed then settles refunds payable against payment clearing; refund.failed restores.
 */
@Injectable()
export class PaymentRefundsService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(RAZORPAY) private readonly gateway: RazorpayGateway | null,
    @Inject(PAYMENT_JOBS) private readonly jobs: PaymentJobs | null,
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly credits: CreditsService,
    private readonly reconciler: PaymentReconciler,
  ) {}

  async refund(paymentId: string, input: { amountMicroUsd: bigint | null; reason: string; refundId: string | null }, context: CommandContext): Promise<RefundView> {
    enabled(this.gateway);
    const row = await this.db.selectFrom('payments').select(['order_id']).where('payment_id', '=', paymentId).executeTakeFirst();
    if (!row) throw notFound('payment_not_found', 'No payment with this id (or it is not projected yet).');
    const orderId = row.order_id;
    const { state } = await loadAggregate(this.store, paymentStream(orderId), paymentDecider);
    const payment = state.payments[paymentId];
    if (!state.order || !payment?.credited) throw conflict('payment_not_credited', 'Only a payment that was credited can be refunded.');
    const refundId = input.refundId ?? newRefundId();
    const existing = state.refunds[refundId];
    if (existing) return this.view(orderId, refundId);
    const refunded = Object.values(state.refunds).filter((r) => r.paymentId === paymentId && r.status !== 'failed').reduce((sum, r) => sum + r.amountMicroUsd, 0n);
    const amount = input.amountMicroUsd ?? payment.creditedMicroUsd - refunded;
    if (amount <= 0n) throw conflict('refund_exceeds_payment', 'Nothing of this payment is left to refund.');
    const accountId = state.order.accountId;
    await this.credits.refund(accountId, { refundId, paymentId, amountMicroUsd: amount, reason: input.reason }, context);
    await this.reconciler.apply(orderId, { type: 'RequestRefund', orderId, paymentId, refundId, amountMicroUsd: amount, reason: input.reason, at: context.occurredAt }, context);
    await this.submit(orderId, refundId, context, false);
    return this.view(orderId, refundId);
  }

  /**
   * Asks Razorpay for a requested refund. `fromWorker`: a transient failure is thrown (the job
   * retries with backoff) instead of being handed to the queue.
   */
  async submit(orderId: string, refundId: string, context: CommandContext, fromWorker: boolean): Promise<void> {
    const { state } = await loadAggregate(this.store, paymentStream(orderId), paymentDecider);
    const refund = state.refunds[refundId];
    if (!refund || refund.status !== 'requested') return;
    const amountCents = Number(refund.amountMicroUsd / MICRO_USD_PER_CENT);
    try {
      const created = await enabled(this.gateway).createRefund(refund.paymentId, { amount: amountCents, notes: { tollgateRefundId: refundId, tollgateOrderId: orderId } }, refundId);
      await this.reconciler.apply(orderId, { type: 'RecordRefundSubmitted', refundId, razorpayRefundId: created.id, status: created.status, at: context.occurredAt }, context);
    } catch (err) {
      if (!(err instanceof RazorpayError)) throw err;
      if (err.transient) {
        this.logger.warn({ refundId, status: err.statusCode }, 'refund submission got no definite answer; the worker retries it');
        if (fromWorker) throw err;
        await enabled(this.jobs).add({ kind: 'refund-submit', orderId, refundId });
        return;
      }
      this.logger.warn({ refundId, status: err.statusCode, code: err.code }, 'Razorpay refused the refund; credits restored');
      await this.reconciler.failRefund(orderId, refundId, refund.accountId, null, `Razorpay refused the refund: ${err.description}`, context);
    }
  }

  private async view(orderId: string, refundId: string): Promise<RefundView> {
    const { state } = await loadAggregate(this.store, paymentStream(orderId), paymentDecider);
    const r = state.refunds[refundId];
    return {
      refundId,
      paymentId: r.paymentId,
      orderId,
      amountMicroUsd: r.amountMicroUsd.toString(),
      status: r.status,
      razorpayRefundId: r.razorpayRefundId,
    };
  }
}
