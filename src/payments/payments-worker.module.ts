import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Worker } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { Logger } from '../platform/observability/logger';
import { LOGGER } from '../platform/observability/tokens';
import { PAYMENT_JOBS } from './payments.tokens';
import { PaymentsModule } from './payments.module';
import { PaymentJobProcessor } from './queue/payment-job.processor';
import { closeQueueConnection, queueConnection, queuePrefix } from '../platform/jobs/queues';
import { PaymentJobData, PaymentJobs, PAYMENTS_QUEUE, REMOVE_ON_FAIL, REPORT_SCHEDULER, SWEEP_SCHEDULER } from './queue/payment-jobs';

/** Jobs processed at once per worker process (each mostly waits on Razorpay and PostgreSQL). */
export const WORKER_CONCURRENCY = 4;
const DRAIN_POLL_MS = 20;

/**
 * The payments worker (worker and all roles): processes the queue and keeps the two schedulers
 * (the sweep and the daily report) registered. On shutdown it lets running jobs finish for up
 * to half the shutdown deadline, then stops; an interrupted job's lock expires and another
 * worker takes it over (every job is idempotent).
 */
@Module({
  imports: [PaymentsModule],
  providers: [PaymentJobProcessor],
})
export class PaymentsWorkerModule implements OnApplicationBootstrap, OnModuleDestroy {
  private worker: Worker<PaymentJobData> | null = null;
  private inFlight = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PAYMENT_JOBS) private readonly jobs: PaymentJobs | null,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly processor: PaymentJobProcessor,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const payments = this.config.payments ?? this.config.crypto;
    if (!payments || !this.jobs) return;
    const run = async (job: Job<PaymentJobData>) => {
      this.inFlight++;
      try {
        return await this.processor.process(job);
      } finally {
        this.inFlight--;
      }
    };
    this.worker = new Worker<PaymentJobData>(PAYMENTS_QUEUE, run, {
      connection: queueConnection(this.config),
      prefix: queuePrefix(this.config),
      concurrency: WORKER_CONCURRENCY,
      lockDuration: payments.jobLockMs,
      stalledInterval: payments.jobLockMs,
      maxStalledCount: 2,
    });
    this.worker.on('failed', (job, err) => this.processor.onFailed(job, err));
    this.worker.on('error', (err) => this.logger.warn({ err: err.message }, 'payments worker error'));
    const opts = { removeOnComplete: true, removeOnFail: REMOVE_ON_FAIL, attempts: 1 };
    await this.jobs.queue.upsertJobScheduler(SWEEP_SCHEDULER, { every: payments.sweepIntervalMs }, { name: 'sweep', data: { kind: 'sweep' }, opts });
    // The daily report compares with Razorpay's list of payments; crypto charges are covered by the sweep.
    // Razorpay switched off since the last boot: its report would only fail.
    if (this.config.payments)
      await this.jobs.queue.upsertJobScheduler(
        REPORT_SCHEDULER,
        { pattern: this.config.payments.reportCron, tz: 'UTC' },
        { name: 'report', data: { kind: 'report', day: null }, opts: { ...opts, attempts: 3 } },
      );
    else await this.jobs.queue.removeJobScheduler(REPORT_SCHEDULER);
  }

  async onModuleDestroy(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    // Take no new jobs, give running ones a bounded time, then stop. (A graceful close() cannot be
    // cut short later: BullMQ's close(true) while close() is pending waits for the same promise.)
    await worker.pause(true);
    const deadline = Date.now() + Math.floor(this.config.shutdownTimeoutMs / 2);
    while (this.inFlight > 0 && Date.now() < deadline) await sleep(DRAIN_POLL_MS);
    if (this.inFlight > 0) this.logger.warn({ jobs: this.inFlight }, 'payments worker stopped with jobs running; their locks expire and another worker takes them over');
    await worker.close(true);
    await closeQueueConnection(worker);
  }
}
