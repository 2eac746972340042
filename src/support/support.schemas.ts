import { z } from 'zod';
import { ROLES } from '../platform/access/roles';
import { coded, MicroUsd, Time } from '../platform/http/schema/fields';
import { fromBeforeTo, queryInstant, queryInt, queryText, timeRange } from '../platform/http/schema/query';

// A replay of the future would show today's state under a later date; a minute's grace for clocks.
const FUTURE_GRACE_MS = 60_000;
function notFuture(q: { at?: Date }, ctx: z.core.$RefinementCtx): void {
  if (q.at && q.at.getTime() > Date.now() + FUTURE_GRACE_MS) coded(ctx, 'invalid_query', 'at must not be in the future.');
}

const limit = queryInt.meta({ description: '1..500, default 100.' });

/** GET /support/accounts/:id/timeline. */
export const TimelineQuery = z
  .strictObject({ ...timeRange, limit, before: queryText(400).meta({ description: 'nextCursor of the previous page, or an ISO time.' }) })
  .partial()
  .superRefine(fromBeforeTo);

const instant = queryInstant.meta({ description: 'The instant (ISO-8601), default now; not in the future.' });

/** GET /support/accounts/:id/state. */
export const StateQuery = z.strictObject({ at: instant.optional() }).superRefine(notFuture);

/** GET /support/accounts/:id/balance-explained. */
export const BalanceExplainedQuery = z
  .strictObject({ at: instant, limit, cursor: queryText(20).meta({ description: 'nextCursor of the previous page.' }) })
  .partial()
  .superRefine(notFuture);

const Json = z.record(z.string(), z.unknown());

export const TimelineView = z.object({
  items: z.array(
    z.object({
      type: z.string().meta({ examples: ['CreditsGranted'] }),
      stream: z.string(),
      revision: z.string(),
      time: Time.meta({ description: 'When the event was recorded in the store.' }),
      occurredAt: z.string().nullable().meta({ description: 'When the business fact happened, as the writer stated it.' }),
      actorId: z.string().nullable(),
      summary: Json.meta({ description: 'Ids, amounts, counts and statuses only: never free text, hashes or personal data.' }),
    }),
  ),
  nextCursor: z.string().nullable().meta({ description: 'Pass back as `before` for the next (older) page; null at the end.' }),
});

const ApiKeyAt = z.object({
  exists: z.boolean(),
  keyId: z.string().nullable(),
  accountId: z.string().nullable(),
  revoked: z.boolean(),
  name: z.string().nullable(),
  expiresAt: z.string().nullable(),
  limits: z.object({ requestsPerMinute: z.number().int().nullable(), tokensPerMinute: z.number().int().nullable() }),
  revision: z.string(),
});

export const AccountStateView = z.object({
  accountId: z.uuid(),
  at: Time,
  account: z.object({
    exists: z.boolean(),
    status: z.enum(['active', 'suspended']),
    roles: z.array(z.enum(ROLES)),
    emailHash: z.string().nullable().meta({ description: 'The keyed hash of the sign-in email, never the email.' }),
    deletionRequestedAt: z.string().nullable(),
    deletionDueAt: z.string().nullable(),
    deleted: z.boolean(),
    restricted: z.boolean(),
    eligibility: z.enum(['attested', 'pending', 'legacy']),
    termsSeen: z.string().nullable(),
    privacySeen: z.string().nullable(),
    providerTermsAccepted: z.string().nullable(),
    reportedMinorAt: z.string().nullable(),
    hasPassword: z.boolean(),
    revision: z.string().nullable(),
  }),
  apiKeys: z.array(ApiKeyAt),
  credits: z.object({
    balanceMicroUsd: MicroUsd,
    entries: z.number().int(),
    state: z.unknown().meta({ description: "The credits decider's state then (its own shape; bigints as strings)." }),
  }),
  provider: z
    .object({
      payableMicroUsd: MicroUsd,
      payouts: z.unknown().meta({ description: "The payout decider's state then (its own shape; bigints as strings)." }),
    })
    .nullable(),
  eventsRead: z.number().int(),
});

export const BalanceExplainedView = z.object({
  accountId: z.uuid(),
  at: Time,
  balanceMicroUsd: MicroUsd.meta({ description: 'The balance after the last ledger line at or before `at` (0 before the first).' }),
  lines: z.array(
    z.object({
      entryNo: z.string(),
      txNo: z.string(),
      occurredAt: Time,
      type: z.string(),
      reference: z.string().nullable(),
      amountMicroUsd: MicroUsd.meta({ description: 'Signed as the owner reads it: positive adds to the balance.' }),
      balanceAfterMicroUsd: MicroUsd,
      reason: z.string().nullable().optional().meta({ description: "A staff action's reason." }),
      actorId: z.string().nullable().optional(),
    }),
  ),
  nextCursor: z.string().nullable().meta({ description: 'Pass back as `cursor` for the next (older) page; null at the end.' }),
});
