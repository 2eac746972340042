import { z } from 'zod';
import { MicroUsd, Time, UsdText, usd } from '../../platform/http/schema/fields';
import { queryInt } from '../../platform/http/schema/query';
import { REASON_MAX } from '../credits/credits.decide';
import { AccountTotalsView } from './ledger.schemas';

/** GET /me/credits. */
export const CreditsView = z.object({
  currency: z.literal('USD'),
  balanceMicroUsd: MicroUsd.meta({ description: 'The ledger balance.' }),
  heldMicroUsd: MicroUsd.meta({ description: 'What requests in flight hold.' }),
  availableMicroUsd: MicroUsd.meta({ description: 'Balance less holds: what the next request may spend.' }),
  balanceUsd: UsdText,
  availableUsd: UsdText,
});

/** GET /admin/accounts/:id/credits. */
export const AdminCreditsView = z.object({ availableMicroUsd: MicroUsd, heldMicroUsd: MicroUsd, ledger: AccountTotalsView });

const reason = z.string().min(1).max(REASON_MAX).meta({ description: 'For the audit trail.' });

/** A grant or a correction: the sign and limits of the amount are the decider's (invalid_amount, insufficient_credits). */
export const MoneyBody = z.strictObject({
  amountUsd: usd(),
  reason,
  operationId: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .meta({ description: 'Makes a retry a no-op: the same id records nothing more.', examples: ['welcome-1'] }),
});

export const RejectBody = z.strictObject({ reason });

export const MoneyActionView = z.object({
  recorded: z.boolean().meta({ description: 'false: a retry of an operation already recorded; nothing changed.' }),
  type: z
    .string()
    .nullable()
    .meta({ description: 'The event recorded.', examples: ['CreditsGranted'] }),
  amountMicroUsd: MicroUsd.nullable(),
  operationId: z.string().nullable(),
  status: z
    .enum(['applied', 'pending_approval', 'rejected'])
    .nullable()
    .meta({ description: 'pending_approval: above APPROVAL_THRESHOLD_USD, nothing applied until another staff member approves.' }),
});

const APPROVAL_STATUSES = ['pending', 'approved', 'rejected'] as const;
export const APPROVALS_LIMIT_MAX = 500;

/** GET /admin/approvals. */
export const ApprovalsQuery = z.strictObject({
  status: z.enum(APPROVAL_STATUSES).default('pending'),
  kind: z.enum(['grant', 'correction', 'refund']).optional(),
  limit: queryInt
    .pipe(z.number().int().min(1).max(APPROVALS_LIMIT_MAX))
    .default(100)
    .meta({ description: `1..${APPROVALS_LIMIT_MAX}, default 100.` }),
});

export const ApprovalRequestView = z.object({
  requestId: z.string(),
  kind: z.enum(['grant', 'correction', 'refund']),
  accountId: z.string(),
  paymentId: z.string().nullable(),
  amountMicroUsd: MicroUsd,
  reason: z.string(),
  status: z.enum(APPROVAL_STATUSES),
  requestedBy: z.string(),
  requestedAt: Time,
  decidedBy: z.string().nullable(),
  decidedAt: Time.nullable(),
  approvePath: z.string().meta({ description: 'Where a second staff member approves it (the same path ending in /reject rejects it).' }),
});

export const ApprovalsList = z.array(ApprovalRequestView);
