import { DomainEvent } from '../platform/event-sourcing/decider';

/**
 * Stream `model-price-{base64url(model)}` (model ids may hold `/`, which stream names may not).
 * Amounts are micro-USD as strings. A price applies from `effectiveAt`; versions are never edited,
 * a change is a new version.
 */
export type PriceEvent = DomainEvent<
  'ModelPriceSet',
  {
    model: string;
    version: number;
    inputMicroUsdPerMTok: string;
    outputMicroUsdPerMTok: string;
    perImageMicroUsd: string | null;
    effectiveAt: string;
    setAt: string;
  }
>;

export const priceStream = (model: string) => `model-price-${Buffer.from(model, 'utf8').toString('base64url')}`;
