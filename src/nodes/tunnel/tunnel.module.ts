import { Module } from '@nestjs/common';
import { NodesModule } from '../nodes.module';
import { TunnelHub } from './tunnel-hub';

/**
 * Nodes behind NAT (API processes only): the gateway's end of the agents' tunnels and the relay
 * hop between instances. Bootstrap starts it on the public server (`TunnelHub.start`).
 */
@Module({
  imports: [NodesModule],
  providers: [TunnelHub],
  exports: [TunnelHub],
})
export class TunnelModule {}
