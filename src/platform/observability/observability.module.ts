import { Global, Inject, MiddlewareConsumer, Module, NestModule, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { GatewayMetrics } from './gateway-metrics';
import { createLogger } from './logger';
import { Metrics } from './metrics';
import { MetricsListener } from './metrics-listener';
import { LOGGER, METRICS } from './tokens';
import { RequestLoggingMiddleware } from './request-logging.middleware';

/** Logs, the metrics registry and its internal listener (no /metrics route on the public port). */
@Global()
@Module({
  providers: [
    { provide: LOGGER, inject: [APP_CONFIG], useFactory: (c: AppConfig) => createLogger(c.logLevel, 'tollgate', c.logFile) },
    { provide: METRICS, useFactory: () => new Metrics() },
    { provide: MetricsListener, inject: [METRICS], useFactory: (m: Metrics) => new MetricsListener(m) },
    { provide: GatewayMetrics, inject: [METRICS], useFactory: (m: Metrics) => new GatewayMetrics(m) },
  ],
  exports: [LOGGER, METRICS, MetricsListener, GatewayMetrics],
})
export class ObservabilityModule implements NestModule, OnApplicationShutdown {
  constructor(@Inject(MetricsListener) private readonly listener: MetricsListener) {}

  async onApplicationShutdown(): Promise<void> {
    await this.listener.close();
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestLoggingMiddleware).forRoutes('*path');
  }
}
