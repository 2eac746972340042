import { z } from 'zod';

/** Micro-USD as sent in JSON: a string of digits, no sign, no float (a float cannot carry money exactly). */
const microUsd = z
  .string()
  .regex(/^\d{1,18}$/, 'must be a string of digits (micro-USD)')
  .transform((v) => BigInt(v))
  .meta({ example: '150000' });

/**
 * A new version of a per-model rate: the price we charge (POST /admin/prices) and a vendor's cost
 * to us (POST /admin/upstreams/:id/costs) have the same shape and rules.
 */
export const PriceVersionBody = z.strictObject({
  model: z.string().min(1).max(128),
  inputMicroUsdPerMTok: microUsd.describe('Per million input tokens.'),
  outputMicroUsdPerMTok: microUsd.describe('Per million output tokens.'),
  perImageMicroUsd: microUsd.nullable().optional(),
  effectiveAt: z.string().min(1).max(40).nullable().optional().describe('ISO 8601, now or later; now when absent.'),
});

export function priceVersionOf(body: z.infer<typeof PriceVersionBody>) {
  return { ...body, perImageMicroUsd: body.perImageMicroUsd ?? null, effectiveAt: body.effectiveAt ?? null };
}
