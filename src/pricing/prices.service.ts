import { Inject, Injectable } from '@nestjs/common';
import { parseInstant } from '../platform/http/dates';
import { invalid } from '../platform/errors/domain-error';
import { MODEL_ID_PATTERN } from './model-id';
import { handleCommand } from '../platform/event-sourcing/command-handler';
import { CommandContext } from '../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../platform/event-store/event-store.port';
import { priceDecider } from './price.decide';
import { priceStream } from './price.events';

export interface SetPriceInput {
  model: string;
  inputMicroUsdPerMTok: bigint;
  outputMicroUsdPerMTok: bigint;
  perImageMicroUsd?: bigint | null;
  /** Default: now. Never in the past. */
  effectiveAt?: string | null;
}

export interface PriceVersionView {
  model: string;
  version: number;
  inputMicroUsdPerMTok: string;
  outputMicroUsdPerMTok: string;
  perImageMicroUsd: string | null;
  effectiveAt: string;
}

/** Admins set prices; each change is a new version in `model-price-*`, with the admin as actor. */
@Injectable()
export class PricesService {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async set(input: SetPriceInput, context: CommandContext): Promise<PriceVersionView> {
    if (typeof input.model !== 'string' || !MODEL_ID_PATTERN.test(input.model))
      throw invalid('invalid_model', 'A model id is 1..128 characters of letters, digits and . _ : / @ + -.');
    const { events } = await handleCommand(
      this.store,
      priceStream(input.model),
      priceDecider,
      {
        type: 'SetModelPrice',
        model: input.model,
        inputMicroUsdPerMTok: input.inputMicroUsdPerMTok,
        outputMicroUsdPerMTok: input.outputMicroUsdPerMTok,
        perImageMicroUsd: input.perImageMicroUsd ?? null,
        effectiveAt: input.effectiveAt ? parseInstant(input.effectiveAt, 'effectiveAt', 'invalid_effective_time').toISOString() : context.occurredAt,
        at: context.occurredAt,
      },
      context,
    );
    const d = events[0].data;
    return {
      model: d.model,
      version: d.version,
      inputMicroUsdPerMTok: d.inputMicroUsdPerMTok,
      outputMicroUsdPerMTok: d.outputMicroUsdPerMTok,
      perImageMicroUsd: d.perImageMicroUsd,
      effectiveAt: d.effectiveAt,
    };
  }
}
