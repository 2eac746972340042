import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { createLogger } from './logger';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';
import { LOGGER, METRICS } from './tokens';
import { RequestLoggingMiddleware } from './request-logging.middleware';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    { provide: LOGGER, inject: [APP_CONFIG], useFactory: (c: AppConfig) => createLogger(c.logLevel, 'tollgate', c.logFile) },
    { provide: METRICS, useFactory: () => new Metrics() },
  ],
  exports: [LOGGER, METRICS],
})
export class ObservabilityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestLoggingMiddleware).forRoutes('*path');
  }
}
