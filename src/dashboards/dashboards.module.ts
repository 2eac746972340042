import { Module } from '@nestjs/common';
import { SessionsModule } from '../auth/sessions.module';
import { LedgerModule } from '../ledger/ledger.module';
import { AdminNetworkController } from './admin-network.controller';
import { DeveloperDashboardService } from './developer-dashboard.service';
import { MeDashboardController } from './me-dashboard.controller';
import { NetworkDashboardService } from './network-dashboard.service';
import { ProviderEarningsController } from './provider-earnings.controller';
import { ProviderEarningsService } from './provider-earnings.service';
import { UsageQueries } from './usage.queries';

/** Dashboards over the usage read models (projections/usage.projection.ts): developer, provider, network. API processes. */
@Module({
  imports: [LedgerModule, SessionsModule],
  controllers: [MeDashboardController, ProviderEarningsController, AdminNetworkController],
  providers: [UsageQueries, DeveloperDashboardService, ProviderEarningsService, NetworkDashboardService],
})
export class DashboardsModule {}
