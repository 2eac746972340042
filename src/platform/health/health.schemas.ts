import { z } from 'zod';

export const LiveView = z.object({ status: z.literal('ok') });

const Check = z.discriminatedUnion('status', [
  z.object({ status: z.literal('up') }),
  z.object({ status: z.literal('down'), error: z.string().meta({ description: 'Why the probe failed, e.g. "timed out after 2000 ms".' }) }),
]);

/** GET /health/ready, answered 200 when ready and 503 (same shape) when not. */
export const ReadyView = z.object({
  status: z.enum(['ok', 'draining', 'unavailable']).meta({ description: 'ok (200); draining for shutdown or a dependency down (503).' }),
  checks: z.object({ postgres: Check, redis: Check, eventStore: Check }),
});
