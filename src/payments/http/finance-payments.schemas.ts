import { z } from 'zod';
import { parseDay } from '../../platform/http/dates';
import { parsedWith, MicroUsd, Time } from '../../platform/http/schema/fields';
import { queryInstant, queryInt, queryText } from '../../platform/http/schema/query';
import { LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX } from '../payment.queries';

// The lists' bound is PaymentQueries' (invalid_query "limit must be 1..500"), stated here for readers.
const limit = queryInt.optional().describe(`1..${LIST_LIMIT_MAX}, default ${LIST_LIMIT_DEFAULT}.`);
const before = queryInstant.optional().describe('Only rows before this time (the last row of the previous page).');

export const PaymentsQuery = z.strictObject({
  // Checked by PaymentQueries (invalid_query naming the allowed values).
  ledgerStatus: queryText(20)
    .optional()
    .meta({ description: 'credited or not_credited.', examples: ['credited'] }),
  razorpayStatus: queryText(20)
    .optional()
    .meta({ description: "Razorpay's status: created, authorized, captured, refunded, failed.", examples: ['captured'] }),
  accountId: queryText(64).optional(),
  before: queryInstant.optional().describe('updatedAt of the last row of the previous page.'),
  limit,
});

/** micro-USD from a bigint column: a string of digits, or null when not (yet) known. */
const maybeMicroUsd = MicroUsd.nullable();

export const PaymentRow = z.object({
  paymentId: z.string(),
  orderId: z.string(),
  accountId: z.string().nullable(),
  razorpayStatus: z.string().nullable(),
  amountCents: z.number().int().nullable(),
  currency: z.string().nullable(),
  ledgerStatus: z.string().describe('credited or not_credited.'),
  creditedMicroUsd: maybeMicroUsd,
  refundedMicroUsd: MicroUsd.describe('Refunds requested, submitted or settled.'),
  dispute: z
    .object({
      disputeId: z.string(),
      status: z.string().nullable(),
      disputedMicroUsd: maybeMicroUsd,
      frozenMicroUsd: maybeMicroUsd,
      shortfallMicroUsd: maybeMicroUsd.describe('What could not be frozen (already spent).'),
    })
    .nullable(),
  captured: z.boolean().describe("Razorpay's captured flag: false for an auto-refunded payment."),
  mismatch: z.boolean().describe('Razorpay says captured but nothing was credited, or the reverse.'),
  updatedAt: Time,
});

export const DiscrepanciesQuery = z.strictObject({
  kind: queryText(40)
    .optional()
    .meta({ examples: ['amount_mismatch'] }),
  paymentId: queryText(64).optional(),
  before,
  limit,
});

export const DiscrepancyRow = z.object({
  id: z.string(),
  kind: z.string().meta({ examples: ['amount_mismatch'] }),
  orderId: z.string().nullable(),
  paymentId: z.string().nullable(),
  accountId: z.string().nullable(),
  expected: z.string().nullable(),
  actual: z.string().nullable(),
  source: z.string().describe('Who found it: the worker or the daily report.'),
  runId: z.string().nullable().describe('The reconciliation run that found it.'),
  foundAt: Time,
});

export const RefundsQuery = z.strictObject({ paymentId: queryText(64).optional(), limit });

export const RefundRow = z.object({
  refundId: z.string(),
  paymentId: z.string(),
  orderId: z.string(),
  accountId: z.string(),
  razorpayRefundId: z.string().nullable(),
  amountMicroUsd: MicroUsd,
  status: z.string().describe('pending_approval, rejected, requested, submitted, settled or failed.'),
  reason: z.string(),
  requestedBy: z.string().nullable(),
  approvedBy: z.string().nullable(),
  failureReason: z.string().nullable(),
  requestedAt: Time,
  updatedAt: Time,
});

/** Only `limit`: the failed jobs (1..1000, default 100), the refused webhooks (default 100), webhooks and runs (1..500). */
export const LimitQuery = z.strictObject({ limit: queryInt.optional().describe('How many, newest first.') });

export const FailedJobView = z.object({
  jobId: z.string(),
  name: z.string(),
  data: z.looseObject({ kind: z.string() }).describe("The job's input: kind (payment, refund, refund-submit, dispute, crypto-charge, sweep, report) and its ids."),
  failedReason: z.string().describe('At most 500 characters.'),
  attemptsMade: z.number().int(),
  queuedAt: Time,
  failedAt: Time.nullable(),
});

export const WebhookEventRow = z.object({
  eventId: z.string(),
  event: z.string().meta({ examples: ['payment.captured'] }),
  entityId: z.string().nullable(),
  deliveries: z.number().int().describe('Above 1: a replay or a retry.'),
  firstReceivedAt: Time,
  lastReceivedAt: Time,
});

export const WebhookRejectionView = z.object({
  at: Time,
  reason: z.enum(['unsigned', 'bad_signature', 'malformed', 'missing_event_id']),
  eventId: z.string().nullable().describe('The claimed event id when it looks like one; never the body.'),
  bytes: z.number().int(),
});

export const ReconciliationRunRow = z.object({
  runId: z.string(),
  day: z.string().meta({ examples: ['2026-11-21'] }),
  from: Time,
  to: Time,
  razorpayCapturedCount: z.number().int(),
  razorpayCapturedCents: z
    .string()
    .regex(/^-?\d{1,20}$/)
    .describe('Cents as a string of digits.'),
  creditedCount: z.number().int(),
  creditedMicroUsd: MicroUsd,
  discrepancyCount: z.number().int(),
  reportedAt: Time,
});

/** POST /finance/payments/reconciliation-runs: the body is optional (no body: yesterday). */
export const RunReportBody = z
  .strictObject({
    day: z
      .string()
      .max(10)
      .meta({ description: 'A UTC day YYYY-MM-DD; default yesterday.', examples: ['2026-11-21'] })
      .transform(parsedWith((text, field) => parseDay(text, field, 'invalid_body')))
      .optional(),
  })
  .optional();

export const ReportQueued = z.object({ jobId: z.string(), day: z.string().meta({ examples: ['2026-11-21'] }) });
