import { Queue, Worker } from 'bullmq';
import Redis from 'ioredis';
import { AppConfig } from '../config/config';
import { Logger } from '../observability/logger';
import { createRedisClient } from '../redis/redis-client';
import { bullPrefix } from './queues';

export interface RepeatableJobSpec {
  /** Queue name and scheduler id: however many workers upsert it, one job runs per period. */
  name: string;
  /** What the logs call it, e.g. "node liveness sweep". */
  label: string;
  schedule: { everyMs: number } | { pattern: string };
  /** The work; its result is kept on the completed job (ids and counts only, never personal data). */
  run: () => Promise<unknown>;
  /** How long a run may go without renewing its lock before another worker takes it over. */
  lockDurationMs?: number;
}

/**
 * A BullMQ repeatable job on worker processes (`worker`, `all`): scheduled by id, run by one
 * worker at a time, completed and failed jobs trimmed. The sweeps (node liveness, deletion,
 * retention, KYC) share it; start it in onApplicationBootstrap, stop it in onModuleDestroy.
 */
export class RepeatableJob {
  /** The jobs of this process, for the queue metrics (observability/worker-metrics.module.ts). */
  static readonly running = new Set<RepeatableJob>();
  private readonly connection: Redis;
  private readonly queue: Queue;
  private readonly worker: Worker;

  constructor(config: AppConfig, logger: Logger, spec: RepeatableJobSpec) {
    const prefix = bullPrefix(config, config.nodes.queuePrefix);
    const problem = (err: Error) => ({ err: { name: err.name, message: err.message } });
    // BullMQ wants its own connection that retries for ever (its blocking worker connection is duplicated from it).
    this.connection = createRedisClient(config, { maxRetriesPerRequest: null, lazyConnect: false });
    this.connection.on('error', () => undefined);
    this.queue = new Queue(spec.name, { connection: this.connection, prefix });
    this.queue.on('error', () => undefined);
    const repeat = 'everyMs' in spec.schedule ? { every: spec.schedule.everyMs } : { pattern: spec.schedule.pattern, tz: 'UTC' };
    // Not awaited: a worker booting while Redis is away starts anyway (BullMQ retries; readiness reports Redis).
    this.queue
      .upsertJobScheduler(spec.name, repeat, { name: 'run', opts: { removeOnComplete: 10, removeOnFail: 50 } })
      .catch((err: Error) => logger.error(problem(err), `could not schedule the ${spec.label}`));
    this.worker = new Worker(spec.name, spec.run, { connection: this.connection, prefix, concurrency: 1, ...(spec.lockDurationMs ? { lockDuration: spec.lockDurationMs } : {}) });
    this.worker.on('error', (err) => logger.warn(problem(err), `${spec.label} worker error`));
    this.worker.on('failed', (_job, err) => logger.warn(problem(err), `${spec.label} failed; the next run retries`));
    this.name = spec.name;
    RepeatableJob.running.add(this);
  }

  readonly name: string;

  /** Jobs by state (a metric): one Redis round trip, at scrape time. */
  jobCounts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
  }

  /** Before the database closes: a running job finishes first. */
  async stop(): Promise<void> {
    RepeatableJob.running.delete(this);
    await this.worker.close();
    await this.queue.close();
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
