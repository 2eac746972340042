import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { RepeatableJob } from '../../platform/jobs/repeatable-job';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { PayoutsModule } from '../../payouts/payouts.module';
import { PricingModule } from '../../pricing/pricing.module';
import { NodesModule } from '../nodes.module';
import { NodeProber } from './probes/node-prober';
import { NodeTrustReview } from './reputation/trust-review';

/**
 * Worker processes only (`worker`, `all`): two BullMQ repeatable jobs, each run by one worker at
 * a time — the probe round every PROBE_INTERVAL_MS (0 = off), and the review of every approved
 * node's record every NODE_TRUST_REVIEW_INTERVAL_MS.
 */
@Module({ imports: [NodesModule, PayoutsModule, PricingModule], providers: [NodeProber, NodeTrustReview] })
export class NodeTrustWorkerModule implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly jobs: RepeatableJob[] = [];

  constructor(
    private readonly prober: NodeProber,
    private readonly review: NodeTrustReview,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const { probes, review } = this.config.nodeTrust;
    if (probes.intervalMs > 0) {
      this.jobs.push(
        new RepeatableJob(this.config, this.logger, {
          name: 'node-probes',
          label: 'node probe round',
          schedule: { everyMs: probes.intervalMs },
          // A round waits for its slowest node: the lock must outlive the probe timeout.
          lockDurationMs: Math.max(30_000, probes.timeoutMs * 2),
          run: async () => {
            const summary = await this.prober.runRound();
            if (summary.failed > 0 || summary.inconclusive > 0) this.logger.info({ ...summary }, 'probe round');
            return { ...summary, failedNodes: summary.failedNodes.length };
          },
        }),
      );
    }
    this.jobs.push(
      new RepeatableJob(this.config, this.logger, {
        name: 'node-trust-review',
        label: 'node trust review',
        schedule: { everyMs: review.intervalMs },
        run: async () => {
          const result = await this.review.run();
          for (const s of result.suspended) this.logger.warn(s, 'node suspended automatically; its earnings of the flagged days are held for review');
          return { reviewed: result.reviewed, suspended: result.suspended.length };
        },
      }),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.jobs.splice(0).map((j) => j.stop()));
  }
}
