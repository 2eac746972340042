import { invalid } from '../platform/errors/domain-error';
import { assertNever, Decider } from '../platform/event-sourcing/decider';
import { MODEL_ID_PATTERN } from './model-id';
import { PriceEvent } from './price.events';

export interface PriceState {
  version: number;
}

export type PriceCommand = {
  type: 'SetModelPrice';
  model: string;
  inputMicroUsdPerMTok: bigint;
  outputMicroUsdPerMTok: bigint;
  perImageMicroUsd: bigint | null;
  effectiveAt: string;
  at: string;
};

/** $1,000,000 per million tokens (or per image): anything above is a typo. */
export const PRICE_MAX_MICRO_USD = 1_000_000_000_000n;
export const PRICE_VERSIONS_MAX = 1_000;

function checkAmount(name: string, value: bigint): string {
  if (value < 0n || value > PRICE_MAX_MICRO_USD) throw invalid('invalid_price', `${name} must be 0..${PRICE_MAX_MICRO_USD} micro-USD.`);
  return value.toString();
}

function decide(command: PriceCommand, state: PriceState): PriceEvent[] {
  switch (command.type) {
    case 'SetModelPrice': {
      if (!MODEL_ID_PATTERN.test(command.model)) throw invalid('invalid_model', 'A model id is 1..128 characters of letters, digits and . _ : / @ + -.');
      const effective = Date.parse(command.effectiveAt);
      // Charges already made used the price of their time: a price never applies retroactively.
      if (Number.isNaN(effective) || effective < Date.parse(command.at)) throw invalid('invalid_effective_time', 'A price takes effect now or later, never in the past.');
      if (state.version >= PRICE_VERSIONS_MAX) throw invalid('too_many_versions', `A model has at most ${PRICE_VERSIONS_MAX} price versions.`);
      return [
        {
          type: 'ModelPriceSet',
          data: {
            model: command.model,
            version: state.version + 1,
            inputMicroUsdPerMTok: checkAmount('inputMicroUsdPerMTok', command.inputMicroUsdPerMTok),
            outputMicroUsdPerMTok: checkAmount('outputMicroUsdPerMTok', command.outputMicroUsdPerMTok),
            perImageMicroUsd: command.perImageMicroUsd === null ? null : checkAmount('perImageMicroUsd', command.perImageMicroUsd),
            effectiveAt: new Date(effective).toISOString(),
            setAt: command.at,
          },
        },
      ];
    }
    default:
      return assertNever(command.type);
  }
}

function evolve(state: PriceState, event: PriceEvent): PriceState {
  return event.type === 'ModelPriceSet' ? { version: event.data.version } : state;
}

export const priceDecider: Decider<PriceState, PriceCommand, PriceEvent> = { initialState: () => ({ version: 0 }), decide, evolve };
