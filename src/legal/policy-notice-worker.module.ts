import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { RepeatableJob } from '../common/repeatable-job';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Logger } from '../observability/logger';
import { LOGGER } from '../observability/tokens';
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
