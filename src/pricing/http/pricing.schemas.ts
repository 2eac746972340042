import { z } from 'zod';
import { MicroUsd, Time } from '../../platform/http/schema/fields';

/** Dollars for people as the price list writes them (usd.ts: formatMicroUsd, trailing zeros dropped: "0.15", "0.6", "2"). */
const PriceUsd = z
  .string()
  .regex(/^\d+(\.\d{1,6})?$/)
  .meta({ description: 'USD for people; the micro-USD field beside it is the exact value.', examples: ['0.15'] });

/** A version of a model's price: what POST /admin/prices recorded. */
export const PriceVersionView = z.object({
  model: z.string().meta({ examples: ['meta-llama/Llama-3.3-70B-Instruct'] }),
  version: z.number().int().min(1),
  inputMicroUsdPerMTok: MicroUsd.meta({ description: 'Per million input tokens.' }),
  outputMicroUsdPerMTok: MicroUsd.meta({ description: 'Per million output tokens.' }),
  perImageMicroUsd: MicroUsd.nullable().meta({ description: 'Per generated image; null when the model makes none.' }),
  effectiveAt: Time.meta({ description: 'From when this version is charged.' }),
});

/** A price in the public list: the version with dollars for people beside the exact micro-USD. */
export const PriceView = PriceVersionView.extend({
  inputUsdPerMTok: PriceUsd,
  outputUsdPerMTok: PriceUsd,
  perImageUsd: PriceUsd.nullable(),
});

/** GET /pricing: each priced model's price in force (or, before any is, its first scheduled one) and the versions scheduled after it. */
export const PriceList = z.object({
  data: z.array(PriceView.extend({ scheduled: z.array(PriceView).meta({ description: 'Versions taking effect later, soonest first.' }) })),
});
