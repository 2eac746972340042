import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { RepeatableJob } from '../platform/jobs/repeatable-job';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { Logger } from '../platform/observability/logger';
import { LOGGER } from '../platform/observability/tokens';
import { PolicyVersionsModule } from './legal.module';
import { PolicyNotices } from './policy-notices';

/** Worker processes only: queues policy notices every POLICY_NOTICE_SWEEP_INTERVAL_SECONDS, one worker at a time. */
@Module({ imports: [PolicyVersionsModule], providers: [PolicyNotices], exports: [PolicyNotices] })
export class PolicyNoticeWorkerModule implements OnApplicationBootstrap, OnModuleDestroy {
  private job: RepeatableJob | null = null;

  constructor(
    private readonly notices: PolicyNotices,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.job = new RepeatableJob(this.config, this.logger, {
      name: 'policy-notices',
      label: 'policy notices',
      schedule: { everyMs: this.config.legal.noticeSweepIntervalMs },
      run: () => this.notices.sweep(new Date()),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.job?.stop();
  }
}
