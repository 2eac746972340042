import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { RepeatableJob } from '../../platform/jobs/repeatable-job';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { RetentionSweep } from './retention-sweep';
import { RetentionModule } from './retention.module';

/**
 * Worker processes only (`worker`, `all`): the retention sweep on RETENTION_SWEEP_EVERY (an interval
 * or a cron pattern), one worker at a time. A sweep handles at most RETENTION_STREAMS_PER_SWEEP
 * streams of each kind; a backlog drains over several runs.
 */
@Module({ imports: [RetentionModule] })
export class RetentionSweepModule implements OnApplicationBootstrap, OnModuleDestroy {
  private job: RepeatableJob | null = null;

  constructor(
    private readonly sweep: RetentionSweep,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.job = new RepeatableJob(this.config, this.logger, {
      name: 'retention-sweep',
      label: 'retention sweep',
      schedule: this.config.retention.sweep,
      run: () => this.sweep.sweep(),
      lockDurationMs: 300_000,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.job?.stop();
  }
}
