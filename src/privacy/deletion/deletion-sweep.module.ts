import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { RepeatableJob } from '../../platform/jobs/repeatable-job';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { PrivacyModule } from '../privacy.module';
import { DeletionSweep } from './deletion-sweep';

/**
 * Worker processes only (`worker`, `all`): completes due deletions every
 * PRIVACY_DELETION_SWEEP_INTERVAL_SECONDS, one worker at a time.
 */
@Module({ imports: [PrivacyModule] })
export class DeletionSweepModule implements OnApplicationBootstrap, OnModuleDestroy {
  private job: RepeatableJob | null = null;

  constructor(
    private readonly sweep: DeletionSweep,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.job = new RepeatableJob(this.config, this.logger, {
      name: 'account-deletion-sweep',
      label: 'account deletion sweep',
      schedule: { everyMs: this.config.privacy.deletionSweepIntervalMs },
      run: () => this.sweep.sweep(new Date()),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.job?.stop();
  }
}
