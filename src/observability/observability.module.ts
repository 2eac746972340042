import { Global, Inject, MiddlewareConsumer, Module, NestModule, OnApplicationShutdown } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { APP_CONFIG, AppConfig } from '../config/config';
import { razorpayOutcomes } from '../payments/razorpay/razorpay-gateway';
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
  constructor(@Inject(MetricsListener) private readonly listener: MetricsListener, @Inject(METRICS) metrics: Metrics) {
    new Gauge({
      name: 'tollgate_razorpay_calls',
      help: 'Razorpay API calls of this process since start, by outcome: ok, refused (an error answer) or failed (no answer, 5xx or 429)',
      labelNames: ['outcome'],
      registers: [metrics.registry],
      collect() {
        for (const [outcome, n] of Object.entries(razorpayOutcomes)) this.set({ outcome }, n);
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener.close();
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestLoggingMiddleware).forRoutes('*path');
  }
}
