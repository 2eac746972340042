import { Inject, Injectable } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { DomainError } from '../../platform/errors/domain-error';
import { assertNever } from '../../platform/event-sourcing/decider';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { CryptoReconciler } from '../crypto/crypto-reconciler';
import { PaymentReconciler, workerContext } from '../reconcile/payment-reconciler';
import { PaymentSweep } from '../reconcile/payment-sweep';
import { ReconciliationReporter, yesterday } from '../reconcile/reconciliation-report';
import { PaymentRefundsService } from '../refunds/payment-refunds.service';
import { PaymentJobData } from './payment-jobs';

/** Runs one job. Returns a short outcome (kept only in logs; completed jobs are removed). */
@Injectable()
export class PaymentJobProcessor {
  constructor(
    private readonly reconciler: PaymentReconciler,
    private readonly refunds: PaymentRefundsService,
    private readonly sweep: PaymentSweep,
    private readonly reporter: ReconciliationReporter,
    private readonly crypto: CryptoReconciler,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async process(job: Job<PaymentJobData>): Promise<string> {
    const context = workerContext(`job:${job.id ?? job.name}`);
    try {
      const data = job.data;
      switch (data.kind) {
        case 'payment':
          return await this.reconciler.reconcilePayment(data, context);
        case 'refund':
          return await this.reconciler.reconcileRefund(data, context);
        case 'refund-submit':
          await this.refunds.submit(data.orderId, data.refundId, context, true);
          return 'submitted';
        case 'dispute':
          return await this.reconciler.reconcileDispute(data, context);
        case 'crypto-charge':
          return await this.crypto.reconcileCharge(data.chargeCode, context);
        case 'sweep': {
          // One sweep covers every processor that is configured.
          const razorpay = this.config.payments ? await this.sweep.sweep() : null;
          const crypto = this.config.crypto ? await this.crypto.sweep() : null;
          return JSON.stringify({ razorpay, crypto });
        }
        case 'report': {
          const report = await this.reporter.run(data.day ?? yesterday(), context);
          return `${report.runId}: ${report.discrepancies.length} discrepancies`;
        }
        default:
          return assertNever(data);
      }
    } catch (err) {
      // A refusal by our own rules will not change on retry (unless a service was unavailable).
      if (err instanceof DomainError && err.kind !== 'unavailable') throw new UnrecoverableError(`${err.code}: ${err.message}`);
      throw err;
    }
  }

  onFailed(job: Job<PaymentJobData> | undefined, err: Error): void {
    this.logger.warn({ jobId: job?.id, name: job?.name, attemptsMade: job?.attemptsMade, err: err.message }, 'payments job failed');
  }
}
