import { Transaction } from 'kysely';
import { Database } from '../platform/database/schema';
import { RecordedEvent } from '../platform/event-store/event-store.port';
import { CREDITS_STREAM_PREFIX } from '../ledger/credits.events';
import { PAYMENT_STREAM_PREFIX } from './payment.events';
import { hasStrings } from '../platform/projection-runtime/event-shape';
import { Projector } from '../platform/projection-runtime/projector';

const REQUESTED = new Set(['CreditOperationRequested', 'RefundApprovalRequested']);
const DECIDED = new Set(['CreditsGranted', 'CreditsCorrected', 'CreditOperationRejected', 'RefundApproved', 'RefundApprovalRejected']);
const text = (value: unknown, max = 200): string | null => (typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null);
const time = (value: unknown, fallback: Date): Date => {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? fallback : new Date(ms);
};

/**
 * Four eyes (issue 15): every grant, credit-adding correction and refund above the approval
 * threshold, from its request to the second staff member's decision, so approvers can find
 * what waits for them. Rows are keyed by (stream, request id); a decision only moves a pending
 * row, so a replayed event changes nothing.
 */
export const approvalsProjection: Projector = {
  name: 'approvals',
  tables: ['approval_requests'],
  async apply(trx, events) {
    for (const event of events) {
      if (!event.stream.startsWith(CREDITS_STREAM_PREFIX) && !event.stream.startsWith(PAYMENT_STREAM_PREFIX)) continue;
      if (REQUESTED.has(event.type)) await insertRequest(trx, event);
      else if (DECIDED.has(event.type)) await decide(trx, event);
    }
  },
};

async function insertRequest(trx: Transaction<Database>, event: RecordedEvent): Promise<void> {
  const d = event.data;
  const refund = event.type === 'RefundApprovalRequested';
  const requestId = refund ? d.refundId : d.operationId;
  if (!hasStrings(d, 'accountId', 'amountMicroUsd', 'reason', 'requestedBy') || typeof requestId !== 'string' || !/^\d{1,19}$/.test(d.amountMicroUsd as string)) return;
  await trx
    .insertInto('approval_requests')
    .values({
      stream: event.stream,
      request_id: requestId,
      kind: refund ? 'refund' : d.kind === 'correction' ? 'correction' : 'grant',
      account_id: d.accountId as string,
      payment_id: refund ? text(d.paymentId, 64) : null,
      amount_micro_usd: d.amountMicroUsd as string,
      reason: text(d.reason, 500) as string,
      status: 'pending',
      requested_by: text(d.requestedBy, 64) as string,
      requested_at: time(d.requestedAt, event.createdAt),
      decided_by: null,
      decided_at: null,
    })
    .onConflict((oc) => oc.columns(['stream', 'request_id']).doNothing())
    .execute();
}

async function decide(trx: Transaction<Database>, event: RecordedEvent): Promise<void> {
  const d = event.data;
  const requestId = d.operationId ?? d.grantId ?? d.correctionId ?? d.refundId;
  const rejected = event.type === 'CreditOperationRejected' || event.type === 'RefundApprovalRejected';
  const decidedBy = rejected ? d.rejectedBy : d.approvedBy;
  // Grants and corrections below the threshold never had a request: no approvedBy, nothing to move.
  if (typeof requestId !== 'string' || typeof decidedBy !== 'string') return;
  await trx
    .updateTable('approval_requests')
    .set({
      status: rejected ? 'rejected' : 'approved',
      decided_by: decidedBy.slice(0, 64),
      decided_at: time(d.rejectedAt ?? d.approvedAt ?? d.grantedAt ?? d.correctedAt, event.createdAt),
    })
    .where('stream', '=', event.stream)
    .where('request_id', '=', requestId)
    .where('status', '=', 'pending')
    .execute();
}
