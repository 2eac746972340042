import { z } from 'zod';
import { REASON_MAX } from '../../ledger/credits/credits.decide';
import { MicroUsd, usd } from '../../platform/http/schema/fields';

/** POST /admin/payments/:paymentId/refunds. Whole cents and what is left to refund are the decider's rules. */
export const RefundBody = z.strictObject({
  amountUsd: usd().optional().describe('Default: all that is left of the payment. In whole cents.'),
  reason: z.string().min(1).max(REASON_MAX).describe('Goes into the audit trail.'),
  operationId: z
    .string()
    .min(10)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be 10..64 letters, digits, - or _')
    .optional()
    .describe('Your id for this refund: a retry with the same one answers the first refund, never a second.'),
});

/** POST /admin/payments/:paymentId/refunds/:refundId/reject. */
export const RejectRefundBody = z.strictObject({ reason: z.string().min(1).max(REASON_MAX).describe('Goes into the audit trail.') });

export const RefundView = z.object({
  refundId: z.string(),
  paymentId: z.string(),
  orderId: z.string(),
  amountMicroUsd: MicroUsd,
  status: z
    .enum(['pending_approval', 'rejected', 'requested', 'submitted', 'settled', 'failed'])
    .describe(
      'pending_approval: above the approval threshold, waiting for another admin; requested: credits being taken or Razorpay not answering yet (the worker retries); failed: credits restored, or never taken.',
    ),
  razorpayRefundId: z.string().nullable(),
});

export const JobQueued = z.object({ jobId: z.string() });
export const JobRetried = z.object({ jobId: z.string(), retried: z.literal(true) });
