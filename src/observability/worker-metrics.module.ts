import { Inject, Module, OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Kysely, sql } from 'kysely';
import { Gauge } from 'prom-client';
import { queueConnection, queuePrefix } from '../common/queues';
import { RepeatableJob } from '../common/repeatable-job';
import { APP_CONFIG, AppConfig } from '../config/config';
import { KYSELY } from '../database/database.module';
import { Database } from '../database/schema';
import { MAIL_QUEUE } from '../notifications/mail/mail-outbox';
import { Metrics } from './metrics';
import { METRICS } from './tokens';

const STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * Worker-side figures, read when Prometheus scrapes (nothing on any request's path): BullMQ queue
 * depths and failures (the mail outbox and the sweeps), and mail outcomes from the mail log (the
 * relay's answers: sent, or failed after every attempt).
 */
@Module({})
export class WorkerMetricsModule implements OnModuleDestroy {
  private readonly mail: Queue;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(METRICS) metrics: Metrics, @Inject(KYSELY) db: Kysely<Database>) {
    // Read-only handle on the outbox's queue: counts only, never adds or takes a job.
    this.mail = new Queue(MAIL_QUEUE, { connection: queueConnection(config), prefix: queuePrefix(config) });
    this.mail.on('error', () => undefined);
    const mail = this.mail;
    const registers = [metrics.registry];
    new Gauge({
      name: 'tollgate_queue_jobs',
      help: 'BullMQ jobs by queue and state (waiting, active, delayed, failed)',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        const queues: { name: string; counts(): Promise<Record<string, number>> }[] = [{ name: MAIL_QUEUE, counts: () => mail.getJobCounts(...STATES) }];
        for (const job of RepeatableJob.running) queues.push({ name: job.name, counts: () => job.jobCounts() });
        await Promise.all(
          queues.map(async (q) => {
            const counts = await q.counts().catch(() => null);
            if (counts) for (const state of STATES) this.set({ queue: q.name, state }, counts[state] ?? 0);
          }),
        );
      },
    });
    new Gauge({
      name: 'tollgate_mail_outcomes',
      help: 'Mails by outcome in the mail log: sent (the SMTP relay accepted it) or failed (every attempt refused: a dead letter)',
      labelNames: ['outcome'],
      registers,
      async collect() {
        const { rows } = await sql<{ outcome: string; n: string }>`SELECT outcome, count(*) AS n FROM mail_log GROUP BY outcome`.execute(db).catch(() => ({ rows: [] }));
        this.set({ outcome: 'sent' }, 0);
        this.set({ outcome: 'failed' }, 0);
        for (const r of rows) if (r.outcome === 'sent' || r.outcome === 'failed') this.set({ outcome: r.outcome }, Number(r.n));
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.mail.close().catch(() => undefined);
  }
}
