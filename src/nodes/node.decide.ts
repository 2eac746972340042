import { conflict, invalid, notFound } from '../platform/errors/domain-error';
import { assertNever, Decider } from '../platform/event-sourcing/decider';
import { MODEL_ID_PATTERN } from '../pricing/model-id';
import { TUNNEL_ONLY_ENDPOINT } from './node-token';
import { NodeEvent, NodeHardware, NodeStatus, ServedModel } from './node.events';

export interface NodeState {
  exists: boolean;
  nodeId: string | null;
  providerId: string | null;
  status: NodeStatus;
  online: boolean;
  tokenHash: string | null;
  models: ServedModel[];
}

export type NodeCommand =
  | {
      type: 'RegisterNode';
      nodeId: string;
      providerId: string;
      name: string;
      hardware: NodeHardware;
      endpointUrl: string;
      models: ServedModel[];
      tokenHash: string;
      at: string;
    }
  | { type: 'UpdateNodeModels'; models: ServedModel[]; at: string }
  | { type: 'ApproveNode'; at: string }
  | { type: 'SuspendNode'; reason: string; at: string }
  | { type: 'RetireNode'; at: string }
  /** From the liveness sweep: heartbeats stopped (the Redis key expired). */
  | { type: 'RecordNodeOffline'; lastHeartbeatAt: string | null; at: string }
  | { type: 'RecordNodeOnline'; at: string };

export const NODE_NAME_MAX = 100;
export const MODELS_PER_NODE_MAX = 64;
export const CONTEXT_LENGTH_MAX = 10_000_000;
export const GPU_MEMORY_GB_MAX = 10_000;
export const GPU_MODEL_MAX = 100;
export const REGION_MAX = 64;
export const ENDPOINT_URL_MAX = 2_000;
export const SUSPEND_REASON_MAX = 500;

const initialState = (): NodeState => ({ exists: false, nodeId: null, providerId: null, status: 'pending', online: false, tokenHash: null, models: [] });

export function checkModels(models: ServedModel[]): ServedModel[] {
  if (!Array.isArray(models) || models.length < 1 || models.length > MODELS_PER_NODE_MAX) throw invalid('invalid_models', `A node serves 1..${MODELS_PER_NODE_MAX} models.`);
  const seen = new Set<string>();
  for (const m of models) {
    if (typeof m?.id !== 'string' || !MODEL_ID_PATTERN.test(m.id)) throw invalid('invalid_models', 'A model id is 1..128 characters of letters, digits and . _ : / @ + -.');
    if (seen.has(m.id)) throw invalid('invalid_models', `Model ${m.id} is listed twice.`);
    seen.add(m.id);
    if (m.contextLength !== null && (!Number.isInteger(m.contextLength) || m.contextLength < 1 || m.contextLength > CONTEXT_LENGTH_MAX)) {
      throw invalid('invalid_models', `A context length is an integer in 1..${CONTEXT_LENGTH_MAX}.`);
    }
  }
  return models.map((m) => ({ id: m.id, contextLength: m.contextLength }));
}

function checkEndpoint(url: string): string {
  if (url === TUNNEL_ONLY_ENDPOINT) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('invalid_endpoint', `The endpoint must be an http(s) URL (or '${TUNNEL_ONLY_ENDPOINT}' for a node that connects through its tunnel).`);
  }
  if (url.length > ENDPOINT_URL_MAX || !['http:', 'https:'].includes(parsed.protocol) || parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw invalid('invalid_endpoint', 'The endpoint must be an http(s) URL without credentials, query or fragment.');
  }
  return parsed.toString().replace(/\/+$/, '');
}

function checkHardware(h: NodeHardware): NodeHardware {
  const text = (v: string | null, max: number, field: string) => {
    if (v === null) return null;
    const t = v.trim();
    if (!t || t.length > max) throw invalid('invalid_hardware', `${field} is 1..${max} characters.`);
    return t;
  };
  if (h.gpuMemoryGb !== null && (!Number.isInteger(h.gpuMemoryGb) || h.gpuMemoryGb < 1 || h.gpuMemoryGb > GPU_MEMORY_GB_MAX)) {
    throw invalid('invalid_hardware', `GPU memory is an integer number of GB in 1..${GPU_MEMORY_GB_MAX}.`);
  }
  return { gpuModel: text(h.gpuModel, GPU_MODEL_MAX, 'The GPU model'), gpuMemoryGb: h.gpuMemoryGb, region: text(h.region, REGION_MAX, 'The region') };
}

function decide(command: NodeCommand, state: NodeState): NodeEvent[] {
  if (command.type === 'RegisterNode') {
    if (state.exists) throw conflict('node_exists', 'This node id is taken.');
    const name = command.name.trim();
    if (!name || name.length > NODE_NAME_MAX) throw invalid('invalid_name', `A node name is 1..${NODE_NAME_MAX} characters.`);
    const hardware = checkHardware(command.hardware);
    return [
      {
        type: 'NodeRegistered',
        data: {
          nodeId: command.nodeId,
          providerId: command.providerId,
          name,
          ...hardware,
          endpointUrl: checkEndpoint(command.endpointUrl),
          models: checkModels(command.models),
          tokenHash: command.tokenHash,
          registeredAt: command.at,
        },
      },
    ];
  }
  if (!state.exists || !state.nodeId) throw notFound('node_not_found', 'No such node.');
  const nodeId = state.nodeId;
  const retired = state.status === 'retired';
  switch (command.type) {
    case 'UpdateNodeModels':
      if (retired) throw conflict('node_retired', 'This node is retired.');
      return [{ type: 'NodeModelsUpdated', data: { nodeId, models: checkModels(command.models), updatedAt: command.at } }];
    case 'ApproveNode':
      if (retired) throw conflict('node_retired', 'This node is retired.');
      return state.status === 'approved' ? [] : [{ type: 'NodeApproved', data: { nodeId, approvedAt: command.at } }];
    case 'SuspendNode': {
      if (retired) throw conflict('node_retired', 'This node is retired.');
      const reason = command.reason.trim();
      if (!reason || reason.length > SUSPEND_REASON_MAX) throw invalid('reason_required', `A suspension needs a reason of 1..${SUSPEND_REASON_MAX} characters.`);
      return state.status === 'suspended' ? [] : [{ type: 'NodeSuspended', data: { nodeId, reason, suspendedAt: command.at } }];
    }
    case 'RetireNode':
      return retired ? [] : [{ type: 'NodeRetired', data: { nodeId, retiredAt: command.at } }];
    case 'RecordNodeOffline':
      return retired || !state.online ? [] : [{ type: 'NodeWentOffline', data: { nodeId, lastHeartbeatAt: command.lastHeartbeatAt, detectedAt: command.at } }];
    case 'RecordNodeOnline':
      return retired || state.online ? [] : [{ type: 'NodeCameOnline', data: { nodeId, detectedAt: command.at } }];
    default:
      return assertNever(command);
  }
}

function evolve(state: NodeState, event: NodeEvent): NodeState {
  switch (event.type) {
    case 'NodeRegistered':
      return {
        ...state,
        exists: true,
        nodeId: event.data.nodeId,
        providerId: event.data.providerId,
        tokenHash: event.data.tokenHash,
        models: event.data.models,
        status: 'pending',
      };
    case 'NodeModelsUpdated':
      return { ...state, models: event.data.models };
    case 'NodeApproved':
      return { ...state, status: 'approved' };
    case 'NodeSuspended':
      return { ...state, status: 'suspended' };
    case 'NodeRetired':
      return { ...state, status: 'retired', online: false };
    case 'NodeWentOffline':
      return { ...state, online: false };
    case 'NodeCameOnline':
      return { ...state, online: true };
    default:
      return state; // events from later versions are ignored, never fatal
  }
}

export const nodeDecider: Decider<NodeState, NodeCommand, NodeEvent> = { initialState, decide, evolve };
