import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Kysely } from 'kysely';
import { conflict, DomainError, notFound } from '../../platform/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { loadAggregate } from '../../platform/event-sourcing/command-handler';
import { CommandContext } from '../../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { CreditsService } from '../../ledger/credits.service';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { paymentDecider, refundableOf, RefundInfo, RefundStatus } from '../payment-order/payment.decide';
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
  /**
   * pending_approval: above the approval threshold, waiting for another staff member; rejected;
   * requested: recorded, credits being taken or Razorpay not yet answering (the worker retries);
   * submitted; settled (processed); failed (credits restored, or never taken).
   */
  status: RefundStatus;
  razorpayRefundId: string | null;
}

/** Our refund id doubles as Razorpay's X-Refund-Idempotency key (≥ 10 of [A-Za-z0-9_-]). */
export const newRefundId = () => `rf_${randomBytes(12).toString('hex')}`;

/** Credits refusals that no retry changes: the refund is recorded as failed (nothing was taken). */
const CREDITS_REFUSALS = new Set(['insufficient_credits', 'refund_exceeds_payment', 'payment_not_found']);

/**
 * Admin refunds. Order of effects, so credits are never stranded and money never paid out twice:
 * 1. RequestRefund: every check (whole cents, at most what is still refundable on the payment,
 *    the count cap, the reason, four eyes above APPROVAL_THRESHOLD_USD) passes or nothing is
 *    recorded at all. Above the threshold it is only a request until another staff member approves.
 * 2. The developer's credits are debited (CreditsRefunded, through a hold, same refund id):
 *    credits already spent → RefundFailed, nothing taken (409 insufficient_credits).
 * 3. Razorpay is asked with X-Refund-Idempotency = our refund id. A definite refusal restores the
 *    credits (CreditsRefundReversed + RefundFailed); no answer or a 5xx leaves it `requested` and
 *    the worker retries steps 2–3 (both idempotent by refund id), as does the sweep for a refund
 *    left `requested` by a process that died between steps.
 * refund.processed then settles refunds payable against payment clearing; refund.failed restores.
 */
@Injectable()
export class PaymentRefundsService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RAZORPAY) private readonly gateway: RazorpayGateway | null,
    @Inject(PAYMENT_JOBS) private readonly jobs: PaymentJobs | null,
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly credits: CreditsService,
    private readonly reconciler: PaymentReconciler,
  ) {}

  async refund(paymentId: string, input: { amountMicroUsd: bigint | null; reason: string; refundId: string | null }, context: CommandContext): Promise<RefundView> {
    const orderId = await this.orderOfPayment(paymentId);
    const { state } = await loadAggregate(this.store, paymentStream(orderId), paymentDecider);
    const refundId = input.refundId ?? newRefundId();
    if (state.refunds[refundId]) return this.view(orderId, refundId);
    const amount = input.amountMicroUsd ?? refundableOf(state, paymentId);
    if (amount === 0n && state.payments[paymentId]?.credited) throw conflict('refund_exceeds_payment', 'Nothing of this payment is left to refund.');
    const recorded = await this.reconciler.apply(
      orderId,
      {
        type: 'RequestRefund',
        orderId,
        paymentId,
        refundId,
        amountMicroUsd: amount,
        reason: input.reason,
        requestedBy: context.actorId,
        approvalThresholdMicroUsd: this.config.security.approvalThresholdMicroUsd,
        at: context.occurredAt,
      },
      context,
    );
    if (recorded.refunds[refundId]?.status === 'requested') await this.submit(orderId, refundId, context, false);
    return this.view(orderId, refundId);
  }

  /** A second staff member approves a large refund; it then proceeds like any other. */
  async approve(paymentId: string, refundId: string, context: CommandContext): Promise<RefundView> {
    const orderId = await this.orderOfRefund(paymentId, refundId);
    await this.reconciler.apply(orderId, { type: 'ApproveRefund', refundId, approverId: context.actorId, at: context.occurredAt }, context);
    await this.submit(orderId, refundId, context, false);
    return this.view(orderId, refundId);
  }

  async reject(paymentId: string, refundId: string, reason: string, context: CommandContext): Promise<RefundView> {
    const orderId = await this.orderOfRefund(paymentId, refundId);
    await this.reconciler.apply(orderId, { type: 'RejectRefund', refundId, rejectedBy: context.actorId, reason, at: context.occurredAt }, context);
    return this.view(orderId, refundId);
  }

  /**
   * Takes the credits (once) and asks Razorpay (once per idempotency key) for a requested refund.
   * `fromWorker`: a transient failure is thrown (the job retries with backoff) instead of being
   * handed to the queue.
   */
  async submit(orderId: string, refundId: string, context: CommandContext, fromWorker: boolean): Promise<void> {
    const { state } = await loadAggregate(this.store, paymentStream(orderId), paymentDecider);
    const refund = state.refunds[refundId];
    if (!refund || refund.status !== 'requested') return;
    if (!(await this.takeCredits(orderId, refundId, refund, context, fromWorker))) return;
    const amountCents = Number(refund.amountMicroUsd / MICRO_USD_PER_CENT);
    try {
      const created = await enabled(this.gateway).createRefund(
        refund.paymentId,
        { amount: amountCents, notes: { tollgateRefundId: refundId, tollgateOrderId: orderId } },
        refundId,
      );
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

  /**
   * Idempotent by refund id. Credits that cannot be taken end the refund as failed, with nothing
   * taken: false (the worker is done), or the refusal itself for the admin who asked.
   */
  private async takeCredits(orderId: string, refundId: string, refund: RefundInfo, context: CommandContext, fromWorker: boolean): Promise<boolean> {
    try {
      await this.credits.refund(refund.accountId, { refundId, paymentId: refund.paymentId, amountMicroUsd: refund.amountMicroUsd, reason: refund.reason }, context);
      return true;
    } catch (err) {
      if (!(err instanceof DomainError && CREDITS_REFUSALS.has(err.code))) throw err;
      await this.reconciler.apply(
        orderId,
        { type: 'FailRefund', refundId, razorpayRefundId: null, reason: `The credits could not be taken: ${err.message}`, at: context.occurredAt },
        context,
      );
      if (fromWorker) return false;
      throw err;
    }
  }

  private async orderOfPayment(paymentId: string): Promise<string> {
    enabled(this.gateway);
    const row = await this.db.selectFrom('payments').select(['order_id']).where('payment_id', '=', paymentId).executeTakeFirst();
    if (!row) throw notFound('payment_not_found', 'No payment with this id (or it is not projected yet).');
    return row.order_id;
  }

  /** The order stream is the authority on the refund (its read model may lag a fresh request). */
  private async orderOfRefund(paymentId: string, refundId: string): Promise<string> {
    const orderId = await this.orderOfPayment(paymentId);
    const { state } = await loadAggregate(this.store, paymentStream(orderId), paymentDecider);
    if (state.refunds[refundId]?.paymentId !== paymentId) throw notFound('refund_not_found', 'No refund with this id on this payment.');
    return orderId;
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
