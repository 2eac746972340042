import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Kysely, sql } from 'kysely';
import { Gauge } from 'prom-client';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { closeQueueConnection, queueConnection, queuePrefix } from '../../platform/jobs/queues';
import { WatchedQueue, watchedQueues } from '../../platform/jobs/watched-queues';
import { Metrics } from '../../platform/observability/metrics';
import { METRICS } from '../../platform/observability/tokens';
import { MAIL_QUEUE } from './mail-outbox';

/**
 * The outbox's depth (in `tollgate_queue_jobs`) and the relay's answers from the mail log, read
 * when Prometheus scrapes: nothing on any request's path.
 */
@Injectable()
export class MailMetrics implements OnModuleDestroy {
  private readonly queue: Queue;
  private readonly watched: WatchedQueue;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(METRICS) metrics: Metrics, @Inject(KYSELY) db: Kysely<Database>) {
    // Read-only handle on the outbox's queue: counts only, never adds or takes a job.
    this.queue = new Queue(MAIL_QUEUE, { connection: queueConnection(config), prefix: queuePrefix(config) });
    this.queue.on('error', () => undefined);
    const queue = this.queue;
    this.watched = { name: MAIL_QUEUE, counts: (...states) => queue.getJobCounts(...(states as Parameters<Queue['getJobCounts']>)) };
    watchedQueues.add(this.watched);
    new Gauge({
      name: 'tollgate_mail_outcomes',
      help: 'Mails by outcome in the mail log: sent (the SMTP relay accepted it) or failed (every attempt refused: a dead letter)',
      labelNames: ['outcome'],
      registers: [metrics.registry],
      async collect() {
        const { rows } = await sql<{ outcome: string; n: string }>`SELECT outcome, count(*) AS n FROM mail_log GROUP BY outcome`.execute(db).catch(() => ({ rows: [] }));
        this.set({ outcome: 'sent' }, 0);
        this.set({ outcome: 'failed' }, 0);
        for (const r of rows) if (r.outcome === 'sent' || r.outcome === 'failed') this.set({ outcome: r.outcome }, Number(r.n));
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    watchedQueues.delete(this.watched);
    await this.queue.close().catch(() => undefined);
    await closeQueueConnection(this.queue);
  }
}
