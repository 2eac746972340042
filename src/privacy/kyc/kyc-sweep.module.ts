import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { RepeatableJob } from '../../platform/jobs/repeatable-job';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { KycRetention } from './kyc-retention';
import { KycModule } from './kyc.module';

/**
 * Worker processes only (`worker`, `all`): shreds KYC numbers whose window ended, every
 * KYC_SWEEP_INTERVAL_SECONDS, one worker at a time.
 */
@Module({ imports: [KycModule] })
export class KycSweepModule implements OnApplicationBootstrap, OnModuleDestroy {
  private job: RepeatableJob | null = null;

  constructor(
    private readonly retention: KycRetention,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.job = new RepeatableJob(this.config, this.logger, {
      name: 'kyc-retention-sweep',
      label: 'KYC retention sweep',
      schedule: { everyMs: this.config.kyc.sweepIntervalMs },
      run: async () => {
        const result = await this.retention.sweep();
        // Account counts only: never the numbers.
        if (result.shredded.length) this.logger.info({ accounts: result.shredded.length }, 'KYC numbers shredded at the end of their retention window');
        return { shredded: result.shredded.length };
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.job?.stop();
  }
}
