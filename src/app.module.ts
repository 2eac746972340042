import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { AccountsModule } from './accounts/accounts.module';
import { AdminModule } from './admin/admin.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuthModule } from './auth/auth.module';
import { ProblemDetailsFilter } from './common/problem-details.filter';
import { AppConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { EventStoreModule } from './event-store/event-store.module';
import { HealthModule } from './health/health.module';
import { InferenceModule } from './inference/inference.module';
import { LedgerHttpModule } from './ledger/http/ledger-http.module';
import { LedgerWorkerModule } from './ledger/ledger-worker.module';
import { LedgerModule } from './ledger/ledger.module';
import { MeModule } from './me/me.module';
import { NodesHttpModule } from './nodes/http/nodes-http.module';
import { NodeSweepModule } from './nodes/liveness/node-sweep.module';
import { NodesModule } from './nodes/nodes.module';
import { PricingHttpModule } from './pricing/http/pricing-http.module';
import { PricingModule } from './pricing/pricing.module';
import { MeteringModule } from './metering/metering.module';
import { ObservabilityModule } from './observability/observability.module';
import { PaymentsHttpModule } from './payments/http/payments-http.module';
import { PaymentsWorkerModule } from './payments/payments-worker.module';
import { KycHttpModule } from './privacy/kyc/kyc-http.module';
import { KycSweepModule } from './privacy/kyc/kyc-sweep.module';
import { ProjectionRuntimeModule } from './projection-runtime/projection-runtime.module';
import { RedisModule } from './redis/redis.module';
import { SecurityModule } from './security/security.module';

/**
 * api: the HTTP API. worker: projections and queue workers. all: both in one process (`npm start`).
 * cli: the services alone, for `npm run cli` (no sign-in routes, no projection runner).
 */
export type ProcessRole = 'all' | 'api' | 'worker' | 'cli';

@Module({})
export class AppModule {
  static register(config: AppConfig, role: ProcessRole): DynamicModule {
    const workers = role === 'all' || role === 'worker' ? [ProjectionRuntimeModule, LedgerWorkerModule, PaymentsWorkerModule, KycSweepModule] : [];
    const dashboard = role === 'all' || role === 'api' ? [AuthModule.register(config), MeModule, AdminModule, LedgerHttpModule, MeteringModule, InferenceModule, PaymentsHttpModule, KycHttpModule] : [];
    // GPU nodes and prices: services everywhere (the CLI too), routes in API processes, the liveness sweep in workers.
    const nodes = [NodesModule, PricingModule, ...(role === 'all' || role === 'api' ? [NodesHttpModule, PricingHttpModule] : []), ...(role === 'all' || role === 'worker' ? [NodeSweepModule] : [])];
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CqrsModule.forRoot(),
        ObservabilityModule,
        DatabaseModule,
        RedisModule,
        EventStoreModule,
        HealthModule,
        SecurityModule,
        AccountsModule,
        ApiKeysModule,
        LedgerModule,
        ...dashboard,
        ...workers,
        ...nodes,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
    };
  }
}
