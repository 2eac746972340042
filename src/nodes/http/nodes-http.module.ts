import { Module } from '@nestjs/common';
import { ApiKeyAuthModule } from '../../api-keys/api-key-auth.module';
import { SessionsModule } from '../../auth/sessions.module';
import { NodesModule } from '../nodes.module';
import { AdminNodesController } from './admin-nodes.controller';
import { NodeHeartbeatController } from './node-heartbeat.controller';
import { ProviderInviteAcceptController } from './provider-invite-accept.controller';
import { ProviderNodesController } from './provider-nodes.controller';
import { V1ModelsController } from './v1-models.controller';

/** API processes: provider and admin node routes, the agents' heartbeat, GET /v1/models. */
@Module({
  imports: [NodesModule, SessionsModule, ApiKeyAuthModule],
  controllers: [ProviderNodesController, AdminNodesController, ProviderInviteAcceptController, NodeHeartbeatController, V1ModelsController],
})
export class NodesHttpModule {}
