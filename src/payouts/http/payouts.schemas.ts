import { z } from 'zod';
import { STATEMENT_CURSOR_MAX } from '../../ledger/ledger.queries';
import { MicroUsd, pageOf, Time, usd, UsdText } from '../../platform/http/schema/fields';
import { fromBeforeTo, queryInt, queryText, timeRange } from '../../platform/http/schema/query';
import { PAYOUT_REASON_MAX, PAYOUT_REFERENCE_MAX } from '../payout.decide';
import { PAYOUT_STATUSES } from '../payout.queries';

// Inputs. Amount limits (the minimum, what is available) are the decider's, with their own codes.

/** POST /provider/payouts. */
export const RequestPayoutBody = z.strictObject({
  amountUsd: usd(),
  payoutId: z.string().min(1).max(64).optional().meta({ description: 'Your id for this request: a retry with it is a no-op. A UUID is made up when absent.' }),
});

/** POST /finance/payouts/:providerId/:payoutId/reject. */
export const RejectPayoutBody = z.strictObject({
  reason: z
    .string()
    .min(1)
    .max(PAYOUT_REASON_MAX)
    .meta({ description: 'Shown to the provider.', examples: ['bank details do not match'] }),
});

/** POST /finance/payouts/:providerId/:payoutId/paid. */
export const MarkPayoutPaidBody = z.strictObject({
  reference: z
    .string()
    .min(1)
    .max(PAYOUT_REFERENCE_MAX)
    .meta({ description: 'The bank transfer reference (UTR).', examples: ['UTR-1'] }),
});

const status = z.enum(PAYOUT_STATUSES);
const limit = queryInt.optional().meta({ description: '1..500, default 100.' });
const pageCursor = queryText(200).optional().meta({ description: 'nextCursor of the previous page.' });

export const ProviderPayoutsQuery = z.strictObject({ status: status.optional(), limit, cursor: pageCursor });
export const FinancePayoutsQuery = z.strictObject({ status: status.optional(), providerId: queryText(64).optional(), limit, cursor: pageCursor });

/** The earnings statement: `from` inclusive, `to` exclusive. */
export const StatementQuery = z
  .strictObject({ ...timeRange, limit, cursor: queryText(STATEMENT_CURSOR_MAX).optional().meta({ description: 'nextCursor of the previous page.' }) })
  .superRefine(fromBeforeTo);
export const StatementCsvQuery = z.strictObject({ ...timeRange }).superRefine(fromBeforeTo);

// Answers.

export const PayoutActionView = z.object({
  payoutId: z.string(),
  recorded: z.boolean().meta({ description: 'False when the command repeated an earlier one and nothing new was recorded.' }),
  type: z
    .string()
    .nullable()
    .meta({ description: 'The event recorded (PayoutRequested, PayoutApproved, PayoutRejected, PayoutPaid); null when nothing was.', examples: ['PayoutApproved'] }),
});

export const PayoutView = z.object({
  providerId: z.string(),
  payoutId: z.string(),
  amountMicroUsd: MicroUsd,
  amountUsd: UsdText,
  status,
  requestedAt: Time,
  approvedAt: Time.nullable(),
  rejectedAt: Time.nullable(),
  rejectReason: z.string().nullable(),
  paidAt: Time.nullable(),
  reference: z.string().nullable().meta({ description: 'The bank transfer reference, once paid.' }),
});

/** Finance also reads who took each step (P11). */
export const FinancePayoutView = PayoutView.extend({
  requestedBy: z.string().nullable(),
  approvedBy: z.string().nullable(),
  rejectedBy: z.string().nullable(),
  paidBy: z.string().nullable(),
});

export const PayoutPage = pageOf(PayoutView);
export const FinancePayoutPage = pageOf(FinancePayoutView);

export const PayoutAvailability = z.object({
  currency: z.literal('USD'),
  earnedMicroUsd: MicroUsd.meta({ description: 'Earnings recorded so far (held back or not), payouts not subtracted.' }),
  heldBackMicroUsd: MicroUsd.meta({ description: 'Earnings younger than the holdback: they may still be disputed.' }),
  heldForReviewMicroUsd: MicroUsd.meta({ description: 'What suspended nodes earned in their flagged days, held until an admin reviews it.' }),
  clawedBackMicroUsd: MicroUsd.meta({ description: 'Taken back by reviews.' }),
  openMicroUsd: MicroUsd.meta({ description: 'Requested or approved payouts not yet paid.' }),
  paidMicroUsd: MicroUsd,
  availableMicroUsd: MicroUsd.meta({ description: 'earned − heldBack − heldForReview − clawedBack − open − paid, never below zero.' }),
  availableUsd: UsdText,
  minimumMicroUsd: MicroUsd.meta({ description: 'The smallest payout that may be requested.' }),
  holdbackDays: z.number().min(0).max(365),
  maturedBefore: Time.meta({ description: 'Earnings recorded at or before this instant count as matured.' }),
});

/** The provider's earnings account (provider:<id>) reads as any ledger account's statement. */
export { StatementLineView, StatementPage } from '../../ledger/http/ledger.schemas';
