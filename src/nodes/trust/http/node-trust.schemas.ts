import { z } from 'zod';
import { PAYOUT_REASON_MAX } from '../../../payouts/payout.decide';
import { MicroUsd, Time, UsdText } from '../../../platform/http/schema/fields';
import { REVIEW_STATUSES } from '../reputation/reputation.queries';

/** GET /admin/node-reviews. */
export const ReviewsQuery = z.strictObject({ status: z.enum(REVIEW_STATUSES).optional().meta({ description: 'Only reviews in this state.' }) });

/** POST /admin/node-reviews/:reviewId/release and /claw-back. */
export const ReviewDecisionBody = z.strictObject({
  reason: z
    .string()
    .min(1)
    .max(PAYOUT_REASON_MAX)
    .meta({ description: 'Why; kept with the decision in the audit log.', examples: ['Engine misconfiguration, fixed.'] }),
});

const Day = z.iso.date();

export const ReviewView = z.object({
  reviewId: z.string(),
  providerId: z.string(),
  nodeId: z.string(),
  status: z.enum(REVIEW_STATUSES),
  fromDay: Day.meta({ description: 'First flagged UTC day.' }),
  toDay: Day.meta({ description: 'Last flagged UTC day, included.' }),
  reason: z.string().meta({ description: 'Why the earnings were held (the automatic review’s finding).' }),
  heldAt: Time,
  heldMicroUsd: MicroUsd.nullable().meta({ description: 'An open review: what the flagged days earned, as the read models show it now.' }),
  heldUsd: UsdText.nullable(),
  decidedAt: Time.nullable(),
  decidedBy: z.string().nullable(),
  decisionReason: z.string().nullable(),
  clawedBackMicroUsd: MicroUsd.nullable(),
});

export const ReviewList = z.array(ReviewView).meta({ description: 'Newest first, at most 200.' });

export const ReviewDecisionView = z.object({
  reviewId: z.string(),
  providerId: z.string(),
  nodeId: z.string(),
  decision: z.enum(['release', 'claw_back']),
  recorded: z.boolean().meta({ description: 'false: the review was already decided this way (a retry).' }),
  clawedBackMicroUsd: MicroUsd.nullable().meta({ description: 'A clawback: what was taken back from the provider’s earnings.' }),
});

const Count = z.number().int().nonnegative();
const Ms = z.number().nullable();

export const NodeReputationView = z.object({
  nodeId: z.string(),
  providerId: z.string(),
  status: z.string().meta({ examples: ['approved', 'suspended'] }),
  suspendedReason: z.string().nullable(),
  evaluatedSince: Time.nullable().meta({ description: 'Evidence counts from the latest approval.' }),
  routingWeight: z.number().meta({ description: 'The router’s preference for the node, in (0, 1] (0 when not approved): lowered by incidents in the last 24 h.' }),
  thresholds: z.object({ probeWindow: Count, probeFailuresToSuspend: Count, discrepancyWindowHours: z.number(), discrepanciesToSuspend: Count }),
  period: z.object({ from: Day, to: Day }),
  probes: z.object({ passed: Count, failed: Count, unanswered: Count, recentJudged: Count, recentFailed: Count }),
  discrepancies: z.object({ total: Count, byKind: z.record(z.string(), Count) }),
  counting: z
    .object({ requests: Count, reportedTokens: Count, countedTokens: Count, reportedToCounted: z.number().nullable() })
    .meta({ description: 'Output tokens the node reported vs what the gateway counted in the text it relayed (counted models only).' }),
  traffic: z.object({ requests: Count, upstreamFailed: Count, errorRate: z.number().nullable(), latencyP50Ms: Ms, latencyP95Ms: Ms, ttftP50Ms: Ms }),
  days: z.array(
    z.object({
      day: Day,
      probesPassed: Count,
      probesFailed: Count,
      probesUnanswered: Count,
      discrepancies: z.record(z.string(), Count),
      countedRequests: Count,
      reportedTokens: Count,
      countedTokens: Count,
    }),
  ),
  reviews: z.array(ReviewView),
  incidents: z
    .array(z.object({ type: z.string(), kind: z.string(), model: z.string(), reported: z.string().nullable(), bound: z.string().nullable(), at: Time }))
    .optional()
    .meta({ description: 'Staff only: each failed probe and discrepancy (metadata). Providers see day counts, never probe times.' }),
});
