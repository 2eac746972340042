import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { AccountsModule } from './accounts/accounts.module';
import { AdminModule } from './admin/admin.module';
import { AuditModule } from './audit/audit.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuthModule } from './auth/auth.module';
import { IdParamPipe } from './platform/http/id-param.pipe';
import { ProblemDetailsFilter } from './platform/http/problem-details.filter';
import { AppConfig } from './platform/config/config';
import { ConfigModule } from './platform/config/config.module';
import { DashboardsModule } from './dashboards/dashboards.module';
import { DatabaseModule } from './platform/database/database.module';
import { EventStoreModule } from './platform/event-store/event-store.module';
import { HealthModule } from './platform/health/health.module';
import { InferenceModule } from './inference/inference.module';
import { LedgerHttpModule } from './ledger/http/ledger-http.module';
import { LedgerWorkerModule } from './ledger/ledger-worker.module';
import { WorkerMetricsModule } from './platform/jobs/worker-metrics.module';
import { LedgerModule } from './ledger/ledger.module';
import { MeModule } from './me/me.module';
import { MailHttpModule } from './notifications/http/admin-mail.controller';
import { LowBalanceWorkerModule } from './notifications/low-balance/low-balance-worker.module';
import { PreferencesHttpModule } from './notifications/preferences/notification-preferences.module';
import { MailWorkerModule } from './notifications/mail/mail-worker.module';
import { NotificationsModule } from './notifications/notifications.module';
import { NodesHttpModule } from './nodes/http/nodes-http.module';
import { NodeSweepModule } from './nodes/liveness/node-sweep.module';
import { NodeTrustHttpModule } from './nodes/trust/http/node-trust.controllers';
import { NodeTrustWorkerModule } from './nodes/trust/node-trust-worker.module';
import { NodeTrustModule } from './nodes/trust/node-trust.module';
import { RetentionSweepModule } from './privacy/retention/retention-sweep.module';
import { RetentionModule } from './privacy/retention/retention.module';
import { NodesModule } from './nodes/nodes.module';
import { NodesPortsModule } from './nodes/nodes-ports.module';
import { UpstreamProbeModule, UpstreamsHttpModule, UpstreamsModule } from './upstreams/upstreams.module';
import { PricingHttpModule } from './pricing/http/pricing-http.module';
import { PricingModule } from './pricing/pricing.module';
import { MeteringModule } from './metering/metering.module';
import { MeteringPortsModule } from './metering/metering-ports.module';
import { UsageRecoveryModule, UsageRecoverySweepModule } from './metering/usage-recovery.module';
import { ObservabilityModule } from './platform/observability/observability.module';
import { PaymentsHttpModule } from './payments/http/payments-http.module';
import { PaymentsWorkerModule } from './payments/payments-worker.module';
import { PayoutsHttpModule } from './payouts/http/payouts-http.module';
import { PayoutsModule } from './payouts/payouts.module';
import { DeletionSweepModule } from './privacy/deletion/deletion-sweep.module';
import { PrivacyHttpModule } from './privacy/http/privacy-http.module';
import { PrivacyModule } from './privacy/privacy.module';
import { KycHttpModule } from './privacy/kyc/kyc-http.module';
import { KycSweepModule } from './privacy/kyc/kyc-sweep.module';
import { LegalHttpModule } from './legal/http/legal-http.module';
import { PolicyVersionsModule } from './legal/legal.module';
import { PolicyNoticeWorkerModule } from './legal/policy-notice-worker.module';
import { ProjectionRuntimeModule } from './platform/projection-runtime/projection-runtime.module';
import { RedisModule } from './platform/redis/redis.module';
import { SecurityModule } from './platform/security/security.module';
import { SupportModule } from './support/support.module';
import { projectors } from './read-models';

/**
 * api: the HTTP API. worker: projections and queue workers. all: both in one process (`npm start`).
 * cli: the services alone, for `npm run cli` (no sign-in routes, no projection runner).
 */
export type ProcessRole = 'all' | 'api' | 'worker' | 'cli';

@Module({})
export class AppModule {
  static register(config: AppConfig, role: ProcessRole): DynamicModule {
    const dashboard =
      role === 'all' || role === 'api'
        ? [
            AuthModule.register(config),
            MeModule,
            AdminModule,
            LedgerHttpModule,
            MeteringModule,
            InferenceModule,
            PaymentsHttpModule,
            PayoutsHttpModule,
            DashboardsModule,
            PrivacyHttpModule,
            AuditModule,
            SupportModule,
            KycHttpModule,
            MailHttpModule,
            PreferencesHttpModule,
            LegalHttpModule,
          ]
        : [];
    const workers =
      role === 'all' || role === 'worker'
        ? [
            ProjectionRuntimeModule.forRoot(projectors),
            LedgerWorkerModule,
            PaymentsWorkerModule,
            MailWorkerModule,
            LowBalanceWorkerModule,
            DeletionSweepModule,
            KycSweepModule,
            PolicyNoticeWorkerModule,
            WorkerMetricsModule,
          ]
        : [];
    // GPU nodes, their trust and prices: services everywhere (the CLI too), routes in API processes, the sweep, probes and reviews in workers.
    const nodes = [
      NodesModule,
      NodesPortsModule,
      NodeTrustModule,
      PricingModule,
      UpstreamsModule,
      ...(role === 'all' || role === 'api' ? [NodesHttpModule, NodeTrustHttpModule, PricingHttpModule, UpstreamsHttpModule] : []),
      ...(role === 'all' || role === 'worker' ? [NodeSweepModule, NodeTrustWorkerModule, UpstreamProbeModule] : []),
    ];
    // Retention: the sweep everywhere (the CLI runs one on demand), its schedule in workers.
    const retention = [RetentionModule, ...(role === 'all' || role === 'worker' ? [RetentionSweepModule] : [])];
    // Charges owed from durable intents: recovered when any serving or working process starts, and on schedule in workers.
    const recovery = role === 'cli' ? [] : [UsageRecoveryModule, ...(role === 'all' || role === 'worker' ? [UsageRecoverySweepModule] : [])];
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
        PolicyVersionsModule,
        ApiKeysModule,
        LedgerModule,
        MeteringPortsModule,
        PayoutsModule,
        PrivacyModule,
        NotificationsModule,
        ...dashboard,
        ...workers,
        ...nodes,
        ...retention,
        ...recovery,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useClass: IdParamPipe },
      ],
    };
  }
}
