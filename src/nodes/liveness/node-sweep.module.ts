import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { RepeatableJob } from '../../platform/jobs/repeatable-job';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { NodesModule } from '../nodes.module';
import { NodeSweep } from './node-sweep';

/**
 * Worker processes only (`worker`, `all`): the liveness sweep every NODE_SWEEP_INTERVAL_MS, one
 * worker at a time; changes are logged.
 */
@Module({ imports: [NodesModule], providers: [NodeSweep] })
export class NodeSweepModule implements OnApplicationBootstrap, OnModuleDestroy {
  private job: RepeatableJob | null = null;

  constructor(
    private readonly sweep: NodeSweep,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.job = new RepeatableJob(this.config, this.logger, {
      name: 'node-liveness-sweep',
      label: 'node liveness sweep',
      schedule: { everyMs: this.config.nodes.sweepIntervalMs },
      run: async () => {
        const result = await this.sweep.sweep();
        if (result.wentOffline.length || result.cameOnline.length) this.logger.info(result, 'node liveness changed');
        return result;
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.job?.stop();
  }
}
