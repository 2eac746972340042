import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { Logger } from '../../observability/logger';
import { LOGGER } from '../../observability/tokens';
import { KycRetention } from './kyc-retention';
import { KycModule } from './kyc.module';

const QUEUE = 'kyc-retention-sweep';
/** One scheduler id: however many workers upsert it, one job runs per interval. */
const SCHEDULER_ID = 'kyc-retention-sweep';

/**
 * Worker processes only (`worker`, `all`): a BullMQ repeatable job shreds KYC numbers whose
 * window ended, every KYC_SWEEP_INTERVAL_SECONDS on one worker at a time (as node-sweep does).
 */
@Module({ imports: [KycModule] })
export class KycSweepModule implements OnApplicationBootstrap, OnModuleDestroy {
  private connection: Redis | null = null;
  private queue: Queue | null = null;
  private worker: Worker | null = null;

  constructor(
    private readonly retention: KycRetention,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const prefix = this.config.nodes.queuePrefix;
    this.connection = new Redis(this.config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
    this.connection.on('error', () => undefined);
    this.queue = new Queue(QUEUE, { connection: this.connection, prefix });
    this.queue.on('error', () => undefined);
    this.queue
      .upsertJobScheduler(SCHEDULER_ID, { every: this.config.kyc.sweepIntervalMs }, { name: 'sweep', opts: { removeOnComplete: 10, removeOnFail: 50 } })
      .catch((err: Error) => this.logger.error({ err: { name: err.name, message: err.message } }, 'could not schedule the KYC retention sweep'));
    this.worker = new Worker(
      QUEUE,
      async () => {
        const result = await this.retention.sweep();
        // Account ids only: never the numbers.
        if (result.shredded.length) this.logger.info({ accounts: result.shredded.length }, 'KYC numbers shredded at the end of their retention window');
        return { shredded: result.shredded.length };
      },
      { connection: this.connection, prefix, concurrency: 1 },
    );
    this.worker.on('error', (err) => this.logger.warn({ err: { name: err.name, message: err.message } }, 'KYC sweep worker error'));
    this.worker.on('failed', (_job, err) => this.logger.warn({ err: { name: err.name, message: err.message } }, 'KYC sweep failed; the next run retries'));
  }

  /** Before the database closes: a running sweep finishes first. */
  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
    await this.queue?.close();
    await this.connection?.quit().catch(() => this.connection?.disconnect());
  }
}
