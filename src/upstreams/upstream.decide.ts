import { conflict, invalid, notFound } from '../platform/errors/domain-error';
import { assertNever, Decider } from '../platform/event-sourcing/decider';
import { MODEL_ID_PATTERN } from '../pricing/model-id';
import { PRICE_MAX_MICRO_USD, PRICE_VERSIONS_MAX } from '../pricing/price.decide';
import { UpstreamEvent, UpstreamModel, UpstreamStatus } from './upstream.events';

export interface UpstreamState {
  exists: boolean;
  upstreamId: string;
  status: UpstreamStatus;
  keyVersion: number;
  /** Cost versions so far, per model. */
  costVersions: Record<string, number>;
}

export type UpstreamCommand =
  | { type: 'RegisterUpstream'; upstreamId: string; name: string; baseUrl: string; models: UpstreamModel[]; at: string }
  | { type: 'RotateUpstreamKey'; at: string }
  | { type: 'UpdateUpstreamModels'; models: UpstreamModel[]; at: string }
  | { type: 'SetUpstreamCost'; model: string; inputMicroUsdPerMTok: bigint; outputMicroUsdPerMTok: bigint; perImageMicroUsd: bigint | null; effectiveAt: string; at: string }
  | { type: 'RetireUpstream'; at: string };

export const UPSTREAM_NAME_MAX = 100;
export const UPSTREAM_MODELS_MAX = 256;

/** The models list: ≤ 256, our ids unique, both ids model-id shaped. */
export function checkModels(models: unknown): UpstreamModel[] {
  if (!Array.isArray(models) || models.length < 1 || models.length > UPSTREAM_MODELS_MAX)
    throw invalid('invalid_models', `models is a list of 1..${UPSTREAM_MODELS_MAX} {id, vendorModel?}.`);
  const seen = new Set<string>();
  return models.map((m: unknown) => {
    const { id, vendorModel } = (m ?? {}) as { id?: unknown; vendorModel?: unknown };
    if (typeof id !== 'string' || !MODEL_ID_PATTERN.test(id)) throw invalid('invalid_models', 'Each model id is 1..128 characters of letters, digits and . _ : / @ + -.');
    if (vendorModel !== undefined && vendorModel !== null && (typeof vendorModel !== 'string' || !MODEL_ID_PATTERN.test(vendorModel)))
      throw invalid('invalid_models', `vendorModel of '${id}' is 1..128 characters of letters, digits and . _ : / @ + -.`);
    if (seen.has(id)) throw invalid('invalid_models', `Model '${id}' is listed twice.`);
    seen.add(id);
    return { id, vendorModel: typeof vendorModel === 'string' && vendorModel !== id ? vendorModel : null };
  });
}

function checkAmount(name: string, value: bigint): string {
  if (value < 0n || value > PRICE_MAX_MICRO_USD) throw invalid('invalid_cost', `${name} must be 0..${PRICE_MAX_MICRO_USD} micro-USD.`);
  return value.toString();
}

function decide(command: UpstreamCommand, state: UpstreamState): UpstreamEvent[] {
  if (command.type === 'RegisterUpstream') {
    if (state.exists) throw conflict('upstream_exists', 'This upstream is already registered.');
    const name = command.name.trim();
    if (name.length < 1 || name.length > UPSTREAM_NAME_MAX) throw invalid('invalid_name', `name is 1..${UPSTREAM_NAME_MAX} characters.`);
    return [
      {
        type: 'UpstreamRegistered',
        data: { upstreamId: command.upstreamId, name, baseUrl: command.baseUrl, models: checkModels(command.models), keyVersion: 1, registeredAt: command.at },
      },
    ];
  }
  if (!state.exists) throw notFound('upstream_not_found', 'No such upstream provider.');
  if (state.status === 'retired') throw conflict('upstream_retired', 'This upstream provider is retired.');
  switch (command.type) {
    case 'RotateUpstreamKey':
      return [{ type: 'UpstreamKeyRotated', data: { upstreamId: state.upstreamId, keyVersion: state.keyVersion + 1, rotatedAt: command.at } }];
    case 'UpdateUpstreamModels':
      return [{ type: 'UpstreamModelsUpdated', data: { upstreamId: state.upstreamId, models: checkModels(command.models), updatedAt: command.at } }];
    case 'SetUpstreamCost': {
      if (!MODEL_ID_PATTERN.test(command.model)) throw invalid('invalid_model', 'A model id is 1..128 characters of letters, digits and . _ : / @ + -.');
      const effective = Date.parse(command.effectiveAt);
      // Like prices: margins already booked keep the cost of their time.
      if (Number.isNaN(effective) || effective < Date.parse(command.at)) throw invalid('invalid_effective_time', 'A cost takes effect now or later, never in the past.');
      const version = (state.costVersions[command.model] ?? 0) + 1;
      if (version > PRICE_VERSIONS_MAX) throw invalid('too_many_versions', `A model has at most ${PRICE_VERSIONS_MAX} cost versions per upstream.`);
      return [
        {
          type: 'UpstreamCostSet',
          data: {
            upstreamId: state.upstreamId,
            model: command.model,
            version,
            inputMicroUsdPerMTok: checkAmount('inputMicroUsdPerMTok', command.inputMicroUsdPerMTok),
            outputMicroUsdPerMTok: checkAmount('outputMicroUsdPerMTok', command.outputMicroUsdPerMTok),
            perImageMicroUsd: command.perImageMicroUsd === null ? null : checkAmount('perImageMicroUsd', command.perImageMicroUsd),
            effectiveAt: new Date(effective).toISOString(),
            setAt: command.at,
          },
        },
      ];
    }
    case 'RetireUpstream':
      return [{ type: 'UpstreamRetired', data: { upstreamId: state.upstreamId, retiredAt: command.at } }];
    default:
      return assertNever(command);
  }
}

function evolve(state: UpstreamState, event: UpstreamEvent): UpstreamState {
  switch (event.type) {
    case 'UpstreamRegistered':
      return { ...state, exists: true, upstreamId: event.data.upstreamId, status: 'active', keyVersion: event.data.keyVersion };
    case 'UpstreamKeyRotated':
      return { ...state, keyVersion: event.data.keyVersion };
    case 'UpstreamCostSet':
      return { ...state, costVersions: { ...state.costVersions, [event.data.model]: event.data.version } };
    case 'UpstreamRetired':
      return { ...state, status: 'retired' };
    default:
      return state;
  }
}

export const upstreamDecider: Decider<UpstreamState, UpstreamCommand, UpstreamEvent> = {
  initialState: () => ({ exists: false, upstreamId: '', status: 'active', keyVersion: 0, costVersions: {} }),
  decide,
  evolve,
};
