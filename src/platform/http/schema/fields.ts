import { z } from 'zod';
import { DomainError } from '../../errors/domain-error';
import { parseUsd } from '../../money';

/**
 * The pieces route schemas share. A rule that keeps a code clients know (`eligibility_required`,
 * `invalid_amount`) reports it with `coded`; its message says `{field}` where the field's name goes
 * (the pipe fills it in from the issue's path).
 */
export function coded(ctx: z.core.$RefinementCtx, code: string, message: string): void {
  ctx.addIssue({ code: 'custom', message, params: { code } });
}

/**
 * A text field read by one of our own parsers (money, dates): its value, or the parser's refusal
 * with its code and words (`{field}` is where the pipe writes the field's name), so a schema says
 * exactly what the hand-written check said.
 */
export const parsedWith =
  <T>(parse: (text: string, field: string) => T) =>
  (text: string, ctx: z.core.$RefinementCtx): T => {
    try {
      return parse(text, '{field}');
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      coded(ctx, err.code, err.message);
      return z.NEVER;
    }
  };

/**
 * Dollars as text ("12.50", at most 6 decimals) → micro-USD, never a float; a bad one is
 * `invalid_amount` as everywhere else (`money.ts` parses). Limits on the amount stay with the domain.
 */
export const usd = () =>
  z
    .string()
    .max(24)
    .meta({ description: 'USD as a decimal string, at most 6 decimals.', examples: ['12.50'] })
    .transform(parsedWith(parseUsd));

// Money in answers: micro-USD as a string of digits (exact), and often dollars for people beside it.
export const MicroUsd = z
  .string()
  .regex(/^-?\d{1,20}$/)
  .meta({ description: 'Micro-USD (1 USD = 1,000,000) as a string of digits.', examples: ['12500000'] });
export const UsdText = z
  .string()
  .regex(/^-?\d+\.\d{2,6}$/)
  .meta({ description: 'USD for people, e.g. "12.50".', examples: ['12.50'] });

/** A page of `item`, newest first unless said otherwise. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().meta({ description: 'Pass back as `cursor` for the next page; null at the end.' }),
  });

/** A time in an answer (a Date serialised by JSON). */
export const Time = z.iso.datetime({ offset: true });

/** RFC 9457 problem details: every error outside /v1. */
export const ProblemDetails = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string().meta({ description: 'Stable, for programs: e.g. invalid_body, not_found, insufficient_credits.' }),
  detail: z.string().meta({ description: 'For people; never echoes a value sent.' }),
  instance: z.string(),
});
