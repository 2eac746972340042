import { nodeDecider, NodeCommand } from '../../src/nodes/node.decide';
import { NodeEvent } from '../../src/nodes/node.events';
import { given } from '../support/decider-spec';

const at = '2026-11-22T10:00:00.000Z';
const register: NodeCommand = {
  type: 'RegisterNode',
  nodeId: 'AbCdEfGhIjKl',
  providerId: 'p1',
  name: ' rig-1 ',
  hardware: { gpuModel: 'RTX 4090', gpuMemoryGb: 24, region: 'eu-west' },
  endpointUrl: 'https://rig1.example.com/',
  models: [{ id: 'meta-llama/Llama-3.1-8B-Instruct', contextLength: 8192 }],
  tokenHash: 'hash',
  at,
};
const registered: NodeEvent = {
  type: 'NodeRegistered',
  data: {
    nodeId: 'AbCdEfGhIjKl',
    providerId: 'p1',
    name: 'rig-1',
    gpuModel: 'RTX 4090',
    gpuMemoryGb: 24,
    region: 'eu-west',
    endpointUrl: 'https://rig1.example.com',
    models: [{ id: 'meta-llama/Llama-3.1-8B-Instruct', contextLength: 8192 }],
    tokenHash: 'hash',
    registeredAt: at,
  },
};
const nodeId = 'AbCdEfGhIjKl';
const approved: NodeEvent = { type: 'NodeApproved', data: { nodeId, approvedAt: at } };
const online: NodeEvent = { type: 'NodeCameOnline', data: { nodeId, detectedAt: at } };
const retired: NodeEvent = { type: 'NodeRetired', data: { nodeId, retiredAt: at } };

describe('node decider', () => {
  it('registers a pending node with a trimmed name and a normalised endpoint', () => given(nodeDecider, []).when(register).then([registered]));

  it("registers a tunnel-only node (behind NAT) with the endpoint 'tunnel:', and nothing like it", () => {
    given(nodeDecider, [])
      .when({ ...register, endpointUrl: 'tunnel:' })
      .then([{ ...registered, data: { ...(registered.data as object), endpointUrl: 'tunnel:' } } as NodeEvent]);
    given(nodeDecider, [])
      .when({ ...register, endpointUrl: 'tunnel://x' })
      .thenRefuses('invalid_endpoint');
  });

  it('refuses bad names, endpoints, models and hardware, and a taken id', () => {
    given(nodeDecider, [])
      .when({ ...register, name: ' ' })
      .thenRefuses('invalid_name');
    given(nodeDecider, [])
      .when({ ...register, endpointUrl: 'ftp://x' })
      .thenRefuses('invalid_endpoint');
    given(nodeDecider, [])
      .when({ ...register, endpointUrl: 'https://u:p@x.example' })
      .thenRefuses('invalid_endpoint');
    given(nodeDecider, [])
      .when({ ...register, models: [] })
      .thenRefuses('invalid_models');
    given(nodeDecider, [])
      .when({
        ...register,
        models: [
          { id: 'a', contextLength: null },
          { id: 'a', contextLength: null },
        ],
      })
      .thenRefuses('invalid_models');
    given(nodeDecider, [])
      .when({ ...register, models: [{ id: 'bad id', contextLength: null }] })
      .thenRefuses('invalid_models');
    given(nodeDecider, [])
      .when({ ...register, models: [{ id: 'a', contextLength: 0 }] })
      .thenRefuses('invalid_models');
    given(nodeDecider, [])
      .when({ ...register, hardware: { gpuModel: null, gpuMemoryGb: 0.5, region: null } })
      .thenRefuses('invalid_hardware');
    given(nodeDecider, [registered]).when(register).thenRefuses('node_exists');
  });

  it('approves, suspends with a reason, approves again; each only once', () => {
    given(nodeDecider, [registered]).when({ type: 'ApproveNode', at }).then([approved]);
    given(nodeDecider, [registered, approved]).when({ type: 'ApproveNode', at }).then([]);
    given(nodeDecider, [registered, approved])
      .when({ type: 'SuspendNode', reason: ' bad outputs ', at })
      .then([{ type: 'NodeSuspended', data: { nodeId, reason: 'bad outputs', suspendedAt: at } }]);
    given(nodeDecider, [registered, approved]).when({ type: 'SuspendNode', reason: '  ', at }).thenRefuses('reason_required');
    const suspended: NodeEvent = { type: 'NodeSuspended', data: { nodeId, reason: 'x', suspendedAt: at } };
    given(nodeDecider, [registered, approved, suspended]).when({ type: 'SuspendNode', reason: 'again', at }).then([]);
    given(nodeDecider, [registered, approved, suspended]).when({ type: 'ApproveNode', at }).then([approved]);
    given(nodeDecider, []).when({ type: 'ApproveNode', at }).thenRefuses('node_not_found');
  });

  it('updates models; a retired node takes no more changes', () => {
    const models = [{ id: 'llama3:8b', contextLength: null }];
    given(nodeDecider, [registered])
      .when({ type: 'UpdateNodeModels', models, at })
      .then([{ type: 'NodeModelsUpdated', data: { nodeId, models, updatedAt: at } }]);
    given(nodeDecider, [registered]).when({ type: 'RetireNode', at }).then([retired]);
    given(nodeDecider, [registered, retired]).when({ type: 'RetireNode', at }).then([]);
    given(nodeDecider, [registered, retired]).when({ type: 'UpdateNodeModels', models, at }).thenRefuses('node_retired');
    given(nodeDecider, [registered, retired]).when({ type: 'ApproveNode', at }).thenRefuses('node_retired');
    given(nodeDecider, [registered, retired]).when({ type: 'RecordNodeOnline', at }).then([]);
  });

  it('records going offline and coming online only as transitions', () => {
    given(nodeDecider, [registered]).when({ type: 'RecordNodeOnline', at }).then([online]);
    given(nodeDecider, [registered, online]).when({ type: 'RecordNodeOnline', at }).then([]);
    given(nodeDecider, [registered]).when({ type: 'RecordNodeOffline', lastHeartbeatAt: null, at }).then([]);
    given(nodeDecider, [registered, online])
      .when({ type: 'RecordNodeOffline', lastHeartbeatAt: '2026-11-22T09:59:50.000Z', at })
      .then([{ type: 'NodeWentOffline', data: { nodeId, lastHeartbeatAt: '2026-11-22T09:59:50.000Z', detectedAt: at } }]);
  });
});
