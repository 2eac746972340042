import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { Logger } from '../../observability/logger';
import { LOGGER } from '../../observability/tokens';
import { RetentionSweep } from './retention-sweep';
import { RetentionModule } from './retention.module';

const QUEUE = 'retention-sweep';
/** One scheduler id: however many workers upsert it, one job runs per period. */
const SCHEDULER_ID = 'retention-sweep';

/**
 * Worker processes only (`worker`, `all`): a BullMQ repeatable job runs the retention sweep on
 * RETENTION_SWEEP_EVERY (an interval or a cron pattern), one worker at a time. A sweep handles
 * at most RETENTION_STREAMS_PER_SWEEP streams of each kind; a backlog drains over several runs.
 */
@Module({ imports: [RetentionModule] })
export class RetentionSweepModule implements OnApplicationBootstrap, OnModuleDestroy {
  private connection: Redis | null = null;
  private queue: Queue | null = null;
  private worker: Worker | null = null;

  constructor(
    private readonly sweep: RetentionSweep,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const prefix = this.config.nodes.queuePrefix;
    // BullMQ wants its own connection that retries for ever (its blocking worker connection is duplicated from it).
    this.connection = new Redis(this.config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
    this.connection.on('error', () => undefined);
    this.queue = new Queue(QUEUE, { connection: this.connection, prefix });
    this.queue.on('error', () => undefined);
    const schedule = this.config.retention.sweep;
    // Not awaited: a worker booting while Redis is away starts anyway (BullMQ retries; readiness reports Redis).
    this.queue
      .upsertJobScheduler(SCHEDULER_ID, 'everyMs' in schedule ? { every: schedule.everyMs } : { pattern: schedule.pattern, tz: 'UTC' }, { name: 'sweep', opts: { removeOnComplete: 10, removeOnFail: 50 } })
      .catch((err: Error) => this.logger.error({ err: { name: err.name, message: err.message } }, 'could not schedule the retention sweep'));
    this.worker = new Worker(QUEUE, async () => this.sweep.sweep(), { connection: this.connection, prefix, concurrency: 1, lockDuration: 300_000 });
    this.worker.on('error', (err) => this.logger.warn({ err: { name: err.name, message: err.message } }, 'retention sweep worker error'));
    this.worker.on('failed', (_job, err) => this.logger.warn({ err: { name: err.name, message: err.message } }, 'retention sweep failed; the next run resumes where it stopped'));
  }

  /** Before the database closes: a running sweep finishes first. */
  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
    await this.queue?.close();
    await this.connection?.quit().catch(() => this.connection?.disconnect());
  }
}
