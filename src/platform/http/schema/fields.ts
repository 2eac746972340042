import { z } from 'zod';

/**
 * The pieces route schemas share. A rule that keeps a code clients know (`eligibility_required`,
 * `invalid_amount`) reports it with `coded`; its message says `{field}` where the field's name goes
 * (the pipe fills it in from the issue's path).
 */
export function coded(ctx: z.core.$RefinementCtx, code: string, message: string): void {
  ctx.addIssue({ code: 'custom', message, params: { code } });
}

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
