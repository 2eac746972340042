import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { Logger } from '../../observability/logger';
import { LOGGER } from '../../observability/tokens';
import { NodesModule } from '../nodes.module';
import { NodeSweep } from './node-sweep';

const QUEUE = 'node-liveness-sweep';
/** One scheduler id: however many workers upsert it, one job runs per interval. */
const SCHEDULER_ID = 'node-liveness-sweep';

/**
 * Worker processes only (`worker`, `all`): a BullMQ repeatable job runs the sweep every
 * NODE_SWEEP_INTERVAL_MS on one worker at a time. Completed and failed jobs are trimmed.
 */
@Module({ imports: [NodesModule], providers: [NodeSweep] })
export class NodeSweepModule implements OnApplicationBootstrap, OnModuleDestroy {
  private connection: Redis | null = null;
  private queue: Queue | null = null;
  private worker: Worker | null = null;

  constructor(
    private readonly sweep: NodeSweep,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const { queuePrefix: prefix, sweepIntervalMs } = this.config.nodes;
    // BullMQ wants its own connection that retries for ever (its blocking worker connection is duplicated from it).
    this.connection = new Redis(this.config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
    this.connection.on('error', () => undefined);
    this.queue = new Queue(QUEUE, { connection: this.connection, prefix });
    this.queue.on('error', () => undefined);
    // Not awaited: a worker booting while Redis is away starts anyway (BullMQ retries; readiness reports Redis).
    this.queue
      .upsertJobScheduler(SCHEDULER_ID, { every: sweepIntervalMs }, { name: 'sweep', opts: { removeOnComplete: 10, removeOnFail: 50 } })
      .catch((err: Error) => this.logger.error({ err: { name: err.name, message: err.message } }, 'could not schedule the node liveness sweep'));
    this.worker = new Worker(
      QUEUE,
      async () => {
        const result = await this.sweep.sweep();
        if (result.wentOffline.length || result.cameOnline.length) this.logger.info(result, 'node liveness changed');
        return result;
      },
      { connection: this.connection, prefix, concurrency: 1 },
    );
    this.worker.on('error', (err) => this.logger.warn({ err: { name: err.name, message: err.message } }, 'node sweep worker error'));
    this.worker.on('failed', (_job, err) => this.logger.warn({ err: { name: err.name, message: err.message } }, 'node sweep failed; the next run retries'));
  }

  /** Before the database closes: a running sweep finishes first. */
  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
    await this.queue?.close();
    await this.connection?.quit().catch(() => this.connection?.disconnect());
  }
}
