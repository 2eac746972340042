import { z } from 'zod';
import { DATE_RANGE_TEXT, parseInstant } from '../dates';
import { coded, parsedWith } from './fields';

/**
 * Query-string pieces: a query value arrives as text (an array when repeated, refused as "must be a
 * single value"). Each piece states its limit and converts once, so a controller gets numbers and
 * Dates. Use them inside `z.strictObject({...})` with `@ValidQuery`.
 */
export const queryText = (max: number) => z.string().max(max);

/** A whole number, e.g. `limit`; the service states and applies its own upper bound. */
export const queryInt = z
  .string()
  .meta({ type: 'string', pattern: '^\\d{1,10}$', examples: ['100'] })
  .transform((text, ctx) => {
    if (/^\d{1,10}$/.test(text)) return Number(text);
    coded(ctx, 'invalid_query', '{field} must be a whole number.');
    return z.NEVER;
  });

/** An instant (the one date parser, `dates.ts`): `2026-11-01` or `2026-11-01T00:00:00Z`. */
export const queryInstant = z
  .string()
  .meta({ description: `ISO-8601 day or time with a zone, in ${DATE_RANGE_TEXT}.`, examples: ['2026-11-01T00:00:00Z'] })
  .transform(parsedWith((text, field) => parseInstant(text, field, 'invalid_query')));

/** `from` (inclusive) and `to` (exclusive), both optional; spread into a query object with `fromBeforeTo`. */
export const timeRange = { from: queryInstant.optional(), to: queryInstant.optional() };

export function fromBeforeTo(range: { from?: Date; to?: Date }, ctx: z.core.$RefinementCtx): void {
  if (range.from && range.to && range.from >= range.to) coded(ctx, 'invalid_query', 'from must be before to.');
}
