import { hasStrings } from '../platform/projection-runtime/event-shape';
import { Projector } from '../platform/projection-runtime/projector';
import { PriceEvent } from './price.events';

const DIGITS = /^\d{1,18}$/;

/** Every price version of every model: rows are only ever inserted (a version is never edited). */
export const pricesProjection: Projector = {
  name: 'prices',
  tables: ['model_prices'],
  async apply(trx, events) {
    for (const recorded of events) {
      if (!recorded.stream.startsWith('model-price-') || recorded.type !== 'ModelPriceSet') continue;
      const d = recorded.data as PriceEvent['data'];
      if (!hasStrings(d, 'model', 'inputMicroUsdPerMTok', 'outputMicroUsdPerMTok', 'effectiveAt', 'setAt') || !Number.isInteger(d.version)) continue;
      if (!DIGITS.test(d.inputMicroUsdPerMTok) || !DIGITS.test(d.outputMicroUsdPerMTok) || (d.perImageMicroUsd !== null && !DIGITS.test(String(d.perImageMicroUsd)))) continue;
      await trx
        .insertInto('model_prices')
        .values({
          model: d.model,
          version: d.version,
          input_micro_usd_per_mtok: d.inputMicroUsdPerMTok,
          output_micro_usd_per_mtok: d.outputMicroUsdPerMTok,
          per_image_micro_usd: d.perImageMicroUsd,
          effective_at: new Date(d.effectiveAt),
          set_at: new Date(d.setAt),
        })
        .onConflict((oc) => oc.columns(['model', 'version']).doNothing())
        .execute();
    }
  },
};
