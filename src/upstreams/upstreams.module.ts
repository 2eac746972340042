import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { RepeatableJob } from '../platform/jobs/repeatable-job';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { NodesModule } from '../nodes/nodes.module';
import { Logger } from '../platform/observability/logger';
import { LOGGER } from '../platform/observability/tokens';
import { AdminUpstreamsController } from './http/admin-upstreams.controller';
import { UpstreamProber } from './upstream-prober';
import { UpstreamsService } from './upstreams.service';

/** Registration and management of upstream API vendors (every role: the CLI too). */
@Module({ imports: [NodesModule], providers: [UpstreamsService], exports: [UpstreamsService] })
export class UpstreamsModule {}

/** API roles: the admin routes. */
@Module({ imports: [UpstreamsModule], controllers: [AdminUpstreamsController] })
export class UpstreamsHttpModule {}

/** Worker roles: the liveness probe every UPSTREAM_PROBE_INTERVAL_MS, one worker at a time. */
@Module({ imports: [NodesModule], providers: [UpstreamProber], exports: [UpstreamProber] })
export class UpstreamProbeModule implements OnApplicationBootstrap, OnModuleDestroy {
  private job: RepeatableJob | null = null;

  constructor(
    private readonly prober: UpstreamProber,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.job = new RepeatableJob(this.config, this.logger, {
      name: 'upstream-probe',
      label: 'upstream probe',
      schedule: { everyMs: this.config.nodes.upstreams.probeIntervalMs },
      run: () => this.prober.probeAll(),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.job?.stop();
  }
}
