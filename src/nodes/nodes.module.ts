import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { Logger } from '../platform/observability/logger';
import { LOGGER } from '../platform/observability/tokens';
import { NodeEndpointGuard } from './endpoint-guard/endpoint-guard';
import { ProviderInvitesService } from './invites/provider-invites.service';
import { NodesService } from './nodes.service';
import { ModelsCatalog } from './routing/models-catalog';
import { NodeDispatcher } from './routing/node-dispatcher';
import { NodeLiveness } from './routing/node-liveness';
import { NodeRegistry } from './routing/node-registry';

/**
 * GPU nodes: registration and management, provider invites, and the router. No timers and no
 * routes here, so every process role (the CLI too) can import it; the HTTP routes are in
 * NodesHttpModule, the liveness sweep in NodeSweepModule.
 */
@Module({
  imports: [AccountsModule],
  providers: [
    NodesService,
    ProviderInvitesService,
    NodeLiveness,
    NodeRegistry,
    NodeDispatcher,
    ModelsCatalog,
    {
      provide: NodeEndpointGuard,
      inject: [APP_CONFIG, LOGGER],
      useFactory: (c: AppConfig, logger: Logger) => new NodeEndpointGuard(c.security.nodeEndpoints, logger.child({ component: 'node-endpoints' })),
    },
  ],
  exports: [NodesService, ProviderInvitesService, NodeLiveness, NodeRegistry, NodeDispatcher, ModelsCatalog, NodeEndpointGuard],
})
export class NodesModule {}
