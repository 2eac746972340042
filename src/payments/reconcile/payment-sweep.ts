import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { enabled, PAYMENT_JOBS, paymentsConfig, RAZORPAY } from '../payments.tokens';
import { PaymentJobs } from '../queue/payment-jobs';
import { RazorpayGateway } from '../razorpay/razorpay-gateway';

/** Orders looked up per sweep (newest first); the next sweep continues with what is still pending. */
export const SWEEP_ORDERS_MAX = 500;
/** Requested refunds resumed per sweep, oldest first. */
export const SWEEP_REFUNDS_MAX = 500;
/** A refund still `requested` this long after it was recorded lost its submitter (a process died between steps). */
export const REFUND_RESUME_AFTER_MS = 60_000;
const WORTH_A_LOOK = new Set(['authorized', 'captured', 'refunded', 'failed']);

export interface SweepResult {
  ordersChecked: number;
  paymentsQueued: number;
  refundsResumed: number;
  errors: number;
}

/**
 * Repairs missed webhooks: every order not yet credited and younger than the sweep window is
 * looked up at Razorpay (GET /orders/:id/payments), and each payment that moved is queued for
 * the same reconciliation a webhook would trigger. Refunds left `requested` (their submitter
 * died between recording and Razorpay's answer) are queued to be submitted again.
 */
@Injectable()
export class PaymentSweep {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RAZORPAY) private readonly gateway: RazorpayGateway | null,
    @Inject(PAYMENT_JOBS) private readonly jobs: PaymentJobs | null,
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async sweep(nowMs = Date.now()): Promise<SweepResult> {
    const config = paymentsConfig(this.config);
    const razorpay = enabled(this.gateway);
    const jobs = enabled(this.jobs);
    const since = new Date(nowMs - config.sweepMaxAgeHours * 3_600_000);
    const orders = await this.db
      .selectFrom('payment_orders')
      .select('order_id')
      .where('status', '=', 'created')
      .where('created_at', '>=', since)
      .orderBy('created_at', 'desc')
      .limit(SWEEP_ORDERS_MAX)
      .execute();
    const result: SweepResult = { ordersChecked: 0, paymentsQueued: 0, refundsResumed: 0, errors: 0 };
    // Debit and Razorpay call are idempotent by refund id, so resuming one twice is harmless.
    const stalled = await this.db
      .selectFrom('payment_refunds')
      .select(['order_id', 'refund_id'])
      .where('status', '=', 'requested')
      .where('updated_at', '<', new Date(nowMs - REFUND_RESUME_AFTER_MS))
      .orderBy('updated_at')
      .limit(SWEEP_REFUNDS_MAX)
      .execute();
    for (const r of stalled) {
      await jobs.add({ kind: 'refund-submit', orderId: r.order_id, refundId: r.refund_id });
      result.refundsResumed++;
    }
    for (const { order_id: orderId } of orders) {
      try {
        const payments = await razorpay.orderPayments(orderId);
        result.ordersChecked++;
        const known = new Map(
          (await this.db.selectFrom('payments').select(['payment_id', 'razorpay_status']).where('order_id', '=', orderId).execute()).map((r) => [r.payment_id, r.razorpay_status]),
        );
        for (const p of payments) {
          // A failed payment we already saw fail needs nothing; anything else may need a credit.
          if (!WORTH_A_LOOK.has(p.status) || (p.status === 'failed' && known.get(p.id) === 'failed')) continue;
          await jobs.add({ kind: 'payment', paymentId: p.id, orderId, source: 'sweep' });
          result.paymentsQueued++;
        }
      } catch (err) {
        result.errors++;
        this.logger.warn({ orderId, err: (err as Error).message }, 'sweep could not look up an order');
      }
    }
    if (result.paymentsQueued > 0 || result.refundsResumed > 0 || result.errors > 0) this.logger.info(result, 'payments sweep');
    return result;
  }
}
