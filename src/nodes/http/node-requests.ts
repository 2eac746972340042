import { invalid } from '../../platform/errors/domain-error';
import { JsonBody, objectBody, optionalInteger, optionalString, requiredString } from '../../platform/http/request-body';
import { CONTEXT_LENGTH_MAX, ENDPOINT_URL_MAX, GPU_MEMORY_GB_MAX, GPU_MODEL_MAX, MODELS_PER_NODE_MAX, NODE_NAME_MAX, REGION_MAX } from '../node.decide';
import { ServedModel } from '../node.events';
import { RegisterNodeInput } from '../nodes.service';

/** `models`: ["id", …] or [{ id, contextLength? }, …]. */
export function readModels(body: JsonBody, field = 'models'): ServedModel[] {
  const value = body[field];
  if (!Array.isArray(value) || value.length < 1 || value.length > MODELS_PER_NODE_MAX)
    throw invalid('invalid_body', `${field} must be an array of 1..${MODELS_PER_NODE_MAX} models.`);
  return value.map((m) => {
    if (typeof m === 'string') return { id: m, contextLength: null };
    const model = objectBody(m, ['id', 'contextLength']);
    return { id: requiredString(model, 'id', 1, 128), contextLength: optionalInteger(model, 'contextLength', 1, CONTEXT_LENGTH_MAX) ?? null };
  });
}

export function readRegisterNodeBody(raw: unknown): RegisterNodeInput {
  const body = objectBody(raw, ['name', 'endpointUrl', 'models', 'gpuModel', 'gpuMemoryGb', 'region']);
  return {
    name: requiredString(body, 'name', 1, NODE_NAME_MAX),
    endpointUrl: requiredString(body, 'endpointUrl', 1, ENDPOINT_URL_MAX),
    models: readModels(body),
    hardware: {
      gpuModel: optionalString(body, 'gpuModel', 1, GPU_MODEL_MAX, true) ?? null,
      gpuMemoryGb: optionalInteger(body, 'gpuMemoryGb', 1, GPU_MEMORY_GB_MAX) ?? null,
      region: optionalString(body, 'region', 1, REGION_MAX, true) ?? null,
    },
  };
}

export const HEARTBEAT_COUNT_MAX = 1_000_000;

/** What an agent reports: models ready on its engine, requests in flight, requests queued. */
export function readHeartbeatBody(raw: unknown): { models: string[]; inFlight: number; queueDepth: number } {
  const body = objectBody(raw, ['models', 'inFlight', 'queueDepth']);
  const models = body.models;
  if (!Array.isArray(models) || models.length > MODELS_PER_NODE_MAX * 4 || !models.every((m) => typeof m === 'string' && m.length >= 1 && m.length <= 128)) {
    throw invalid('invalid_body', `models must be an array of at most ${MODELS_PER_NODE_MAX * 4} model ids.`);
  }
  return {
    models: models as string[],
    inFlight: optionalInteger(body, 'inFlight', 0, HEARTBEAT_COUNT_MAX) ?? 0,
    queueDepth: optionalInteger(body, 'queueDepth', 0, HEARTBEAT_COUNT_MAX) ?? 0,
  };
}
