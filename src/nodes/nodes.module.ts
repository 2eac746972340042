import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
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
  providers: [NodesService, ProviderInvitesService, NodeLiveness, NodeRegistry, NodeDispatcher, ModelsCatalog],
  exports: [NodesService, ProviderInvitesService, NodeLiveness, NodeRegistry, NodeDispatcher, ModelsCatalog],
})
export class NodesModule {}
