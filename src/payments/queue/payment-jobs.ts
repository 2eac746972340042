import { Job, JobsOptions, Queue } from 'bullmq';
import { TopUpSettings } from '../../platform/config/config';
import { closeQueueConnection } from '../../platform/jobs/queues';

/**
 * One BullMQ queue, `payments`, under the deployment's Redis prefix (so parallel test apps and
 * deployments sharing a Redis never share jobs). Job ids are deterministic, so every signal
 * about the same thing while a job is waiting collapses into that job; BullMQ refuses ':' in
 * custom ids, hence `payment-{paymentId}`. Each job re-reads Razorpay, so which signal won the
 * race never matters.
 */
export const PAYMENTS_QUEUE = 'payments';
export const SWEEP_SCHEDULER = 'payments-sweep';
export const REPORT_SCHEDULER = 'payments-report';

export type PaymentJobData =
  /** Fetch the payment, check it against our order, capture if authorized, credit once. */
  | { kind: 'payment'; paymentId: string; orderId: string | null; source: string }
  /** Fetch a refund Razorpay told us about and settle it (processed) or restore the credits (failed). */
  | { kind: 'refund'; razorpayRefundId: string; paymentId: string }
  /** Submit (again) a refund whose first attempt got no definite answer; same idempotency key. */
  | { kind: 'refund-submit'; orderId: string; refundId: string }
  /** Fetch a dispute and freeze, release or settle the credits. */
  | { kind: 'dispute'; disputeId: string; paymentId: string }
  /** Fetch a Coinbase Commerce charge and credit it once if the processor says it is paid (src/payments/crypto/). */
  | { kind: 'crypto-charge'; chargeCode: string; source: string }
  /** Look up orders still pending at Razorpay and crypto charges not credited yet (repairs missed webhooks). */
  | { kind: 'sweep' }
  /** The reconciliation report of one UTC day (default: yesterday). */
  | { kind: 'report'; day: string | null };

export const jobId = (data: PaymentJobData): string | undefined => {
  switch (data.kind) {
    case 'payment':
      return `payment-${data.paymentId}`;
    case 'refund':
      return `refund-${data.razorpayRefundId}`;
    case 'refund-submit':
      return `refund-submit-${data.refundId}`;
    case 'dispute':
      return `dispute-${data.disputeId}`;
    case 'crypto-charge':
      return `crypto-${data.chargeCode}`;
    default:
      return undefined; // sweeps and reports come from schedulers or carry their own id
  }
};

export interface FailedJob {
  jobId: string;
  name: string;
  data: PaymentJobData;
  failedReason: string;
  attemptsMade: number;
  queuedAt: string;
  failedAt: string | null;
}

/** Kept for admins: failed jobs stay a week (at most 1,000); completed ones go at once so a later signal makes a new job. */
export const REMOVE_ON_FAIL = { age: 7 * 24 * 3600, count: 1_000 };

export function defaultJobOptions(config: TopUpSettings): JobsOptions {
  return {
    attempts: config.jobAttempts,
    backoff: { type: 'exponential', delay: config.jobBackoffMs },
    removeOnComplete: true,
    removeOnFail: REMOVE_ON_FAIL,
  };
}

/** A follow-up waits this long, so it usually runs after the job it follows has finished. */
const FOLLOW_UP_DELAY_MS = 200;

/** The producer side (every process role that serves HTTP enqueues; only workers process). */
export class PaymentJobs {
  constructor(readonly queue: Queue<PaymentJobData>) {}

  /**
   * Adds the job unless one with its id is already waiting or running (then this signal is
   * already covered). A job with that id that FAILED is retried: new news about a payment
   * deserves another look, and the failure stays in the job's history.
   */
  async add(data: PaymentJobData, options: JobsOptions = {}): Promise<Job<PaymentJobData>> {
    const id = options.jobId ?? jobId(data);
    const job = await this.queue.add(data.kind, data, { ...options, ...(id ? { jobId: id } : {}) });
    if (id && (await job.isFailed())) await job.retry('failed').catch(() => undefined);
    return job;
  }

  /**
   * A look at a crypto charge. A signal that arrives while the charge's job is RUNNING may come
   * after that job fetched the charge, so collapsing into it could lose the news: a follow-up job
   * is queued (one per signal while running; jobs are idempotent, and signals per charge are few).
   */
  async addCryptoCharge(chargeCode: string, source: string): Promise<Job<PaymentJobData>> {
    const data: PaymentJobData = { kind: 'crypto-charge', chargeCode, source };
    const job = await this.add(data);
    if (!(await job.isActive())) return job;
    return this.queue.add(data.kind, data, { jobId: `${jobId(data)}-again-${Date.now()}-${Math.floor(Math.random() * 1e6)}`, delay: FOLLOW_UP_DELAY_MS });
  }

  async failed(limit: number): Promise<FailedJob[]> {
    const jobs = (await this.queue.getFailed(0, limit - 1)) as (Job<PaymentJobData> | undefined)[];
    return jobs
      .filter((j) => j !== undefined)
      .map((j) => ({
        jobId: j.id ?? '',
        name: j.name,
        data: j.data,
        failedReason: (j.failedReason ?? '').slice(0, 500),
        attemptsMade: j.attemptsMade,
        queuedAt: new Date(j.timestamp).toISOString(),
        failedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
      }));
  }

  /** false when there is no failed job with this id. */
  async retry(id: string): Promise<boolean> {
    const job = await Job.fromId<PaymentJobData>(this.queue, id);
    if (!job || !(await job.isFailed())) return false;
    await job.retry('failed');
    return true;
  }

  /** Jobs not finished yet, leaving out the schedulers' next runs (tests wait until this is 0). */
  async pending(): Promise<number> {
    const counts = await this.queue.getJobCounts('waiting', 'active', 'prioritized', 'waiting-children');
    const delayed = (await this.queue.getDelayed(0, 999)) as (Job<PaymentJobData> | undefined)[];
    const retrying = delayed.filter((j) => j && j.data.kind !== 'sweep' && j.data.kind !== 'report').length;
    return Object.values(counts).reduce((a, b) => a + b, 0) + retrying;
  }

  async close(): Promise<void> {
    await this.queue.close();
    await closeQueueConnection(this.queue);
  }
}
