import { DomainEvent } from '../platform/event-sourcing/decider';

/** A type alias, not an interface, so it is assignable to JSON event data. */
export type ServedModel = {
  /** The id the engine serves it under (and clients ask for). */
  id: string;
  /** Tokens of context, when the provider states it. */
  contextLength: number | null;
};

export interface NodeHardware {
  gpuModel: string | null;
  gpuMemoryGb: number | null;
  region: string | null;
}

/**
 * Stream `node-{nodeId}`. Only state changes are events; heartbeats live in Redis.
 * `endpointUrl` is the node agent's public URL (the agent fronts the engine).
 */
export type NodeEvent =
  | DomainEvent<
      'NodeRegistered',
      {
        nodeId: string;
        providerId: string;
        name: string;
        gpuModel: string | null;
        gpuMemoryGb: number | null;
        region: string | null;
        endpointUrl: string;
        models: ServedModel[];
        tokenHash: string;
        registeredAt: string;
      }
    >
  | DomainEvent<'NodeModelsUpdated', { nodeId: string; models: ServedModel[]; updatedAt: string }>
  | DomainEvent<'NodeApproved', { nodeId: string; approvedAt: string }>
  | DomainEvent<'NodeSuspended', { nodeId: string; reason: string; suspendedAt: string }>
  | DomainEvent<'NodeRetired', { nodeId: string; retiredAt: string }>
  | DomainEvent<'NodeWentOffline', { nodeId: string; lastHeartbeatAt: string | null; detectedAt: string }>
  | DomainEvent<'NodeCameOnline', { nodeId: string; detectedAt: string }>;

export type NodeStatus = 'pending' | 'approved' | 'suspended' | 'retired';

export const nodeStream = (nodeId: string) => `node-${nodeId}`;
