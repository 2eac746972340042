import { z } from 'zod';
import { DATE_RANGE_TEXT, instantOf } from '../dates';
import { MAX_AMOUNT_MICRO_USD, parseUsd } from '../../money';
import { DomainError } from '../../errors/domain-error';

/**
 * The pieces route schemas share: money, times, pages, ids. A rule that keeps a code clients know
 * (`invalid_amount`, `invalid_date`) reports it with `coded`; its message says `{field}` where the
 * field's name goes (the pipe fills it in from the issue's path).
 */
export function coded(ctx: z.core.$RefinementCtx, code: string, message: string): void {
  ctx.addIssue({ code: 'custom', message, params: { code } });
}

/** Dollars as text ("12.50", up to 6 decimals) → micro-USD; never a float. */
export const usd = () =>
  z
    .string()
    .max(24)
    .transform((text, ctx) => {
      try {
        return parseUsd(text, '{field}');
      } catch (err) {
        coded(ctx, (err as DomainError).code, (err as Error).message);
        return z.NEVER;
      }
    })
    .meta({ description: 'USD as a decimal string, at most 6 decimals.', example: '12.50' });

/** A positive amount of dollars as text within the per-command limit. */
export const positiveUsd = () =>
  usd().transform((micro, ctx) => {
    if (micro <= 0n) coded(ctx, 'invalid_amount', '{field} must be more than zero.');
    else if (micro > MAX_AMOUNT_MICRO_USD) coded(ctx, 'invalid_amount', `{field} must be at most ${MAX_AMOUNT_MICRO_USD / 1_000_000n}.00 USD.`);
    return micro;
  });

/** An ISO-8601 instant with a zone (dates.ts says which), as a Date. */
export const instant = (code = 'invalid_date') =>
  z
    .string()
    .max(40)
    .transform((text, ctx) => {
      const date = instantOf(text);
      if (!date) coded(ctx, code, `{field} must be an ISO-8601 time with a zone in ${DATE_RANGE_TEXT}, e.g. 2026-11-01T00:00:00Z.`);
      return date ?? z.NEVER;
    })
    .meta({ format: 'date-time', example: '2026-11-01T00:00:00Z' });

/** A whole number in a query string ("50") → 50. */
export const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .meta({ description: `A whole number in ${min}..${max}.` });

// Answers. Money leaves as micro-USD strings (exact) and often also as dollars for people.
export const MicroUsd = z
  .string()
  .regex(/^-?\d{1,20}$/)
  .meta({ description: 'Micro-USD (1 USD = 1,000,000) as a string of digits.', example: '12500000' });
export const UsdText = z
  .string()
  .regex(/^-?\d+\.\d{2,6}$/)
  .meta({ description: 'USD for people, e.g. "12.50".', example: '12.50' });
/** A time in an answer (a Date serialised by JSON). */
export const Time = z.iso.datetime({ offset: true });
export const Uuid = z.uuid();

/** A page of a list: `nextCursor` fetches the next one (null at the end). */
export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** RFC 9457 problem details: every error outside /v1. */
export const ProblemDetails = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string().meta({ description: 'Stable, for programs: e.g. invalid_body, not_found, insufficient_credits.' }),
  detail: z.string().meta({ description: 'For people; never echoes a value sent.' }),
  instance: z.string(),
});
