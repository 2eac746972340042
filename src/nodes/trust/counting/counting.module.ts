import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { APP_CONFIG, AppConfig } from '../../../platform/config/config';
import { EVENT_STORE, EventStore } from '../../../platform/event-store/event-store.port';
import { Logger } from '../../../platform/observability/logger';
import { Metrics } from '../../../platform/observability/metrics';
import { LOGGER, METRICS } from '../../../platform/observability/tokens';
import { CounterStats, RelayedOutputCounter } from './relayed-output-counter';

/**
 * The gateway's own token count (processes that serve /v1: roles api and all). Shut down after
 * the HTTP server drained: counts in flight are awaited briefly and the open windows recorded.
 */
@Module({
  providers: [
    {
      provide: RelayedOutputCounter,
      inject: [EVENT_STORE, APP_CONFIG, LOGGER],
      useFactory: (store: EventStore, config: AppConfig, logger: Logger) => new RelayedOutputCounter(store, config.nodeTrust.counting, logger.child({ component: 'token-count' })),
    },
  ],
  exports: [RelayedOutputCounter],
})
export class TokenCountingModule implements OnApplicationShutdown {
  constructor(
    private readonly counter: RelayedOutputCounter,
    @Inject(METRICS) metrics: Metrics,
  ) {
    const registers = [metrics.registry];
    const gauge = (name: string, help: string, read: (s: CounterStats) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(counter.stats()));
        },
      });
    gauge('tollgate_token_count_counted', 'Relayed responses whose output tokens the gateway counted, since start', (s) => s.counted);
    gauge('tollgate_token_count_waiting', 'Relayed responses waiting for a counting worker', (s) => s.waiting);
    gauge('tollgate_token_count_dropped_queue_full', 'Responses not counted because the counting queue was full (TOKEN_COUNT_QUEUE_MAX)', (s) => s.droppedQueueFull);
    gauge('tollgate_token_count_dropped_too_large', 'Responses not counted because they exceeded TOKEN_COUNT_MAX_RESPONSE_BYTES', (s) => s.droppedTooLarge);
    gauge('tollgate_token_count_failed', 'Responses that could not be read or tokenized', (s) => s.unreadable + s.failed);
    gauge('tollgate_token_count_windows_recorded', 'Counting windows recorded as NodeOutputCounted', (s) => s.windowsRecorded);
    gauge('tollgate_token_count_windows_lost', 'Counting windows that could not be stored', (s) => s.windowsLost);
    gauge('tollgate_token_count_drifts', 'token_count_drift discrepancies recorded', (s) => s.driftsRecorded);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.counter.close();
  }
}
