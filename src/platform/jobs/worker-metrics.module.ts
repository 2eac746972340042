import { Inject, Module } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { RepeatableJob } from './repeatable-job';
import { watchedQueues } from './watched-queues';
import { Metrics } from '../observability/metrics';
import { METRICS } from '../observability/tokens';

const STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * Worker-side figures, read when Prometheus scrapes (nothing on any request's path): BullMQ queue
 * depths and failures of the sweeps and of every queue its owner watches (the mail outbox).
 */
@Module({})
export class WorkerMetricsModule {
  constructor(@Inject(METRICS) metrics: Metrics) {
    new Gauge({
      name: 'tollgate_queue_jobs',
      help: 'BullMQ jobs by queue and state (waiting, active, delayed, failed)',
      labelNames: ['queue', 'state'],
      registers: [metrics.registry],
      async collect() {
        const queues = [...watchedQueues, ...[...RepeatableJob.running].map((job) => ({ name: job.name, counts: () => job.jobCounts() }))];
        await Promise.all(
          queues.map(async (q) => {
            const counts = await q.counts(...STATES).catch(() => null);
            if (counts) for (const state of STATES) this.set({ queue: q.name, state }, counts[state] ?? 0);
          }),
        );
      },
    });
  }
}
