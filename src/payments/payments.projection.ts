import { Insertable, Transaction, Updateable } from 'kysely';
import { Database, PaymentsTable } from '../platform/database/schema';
import { JsonObject, RecordedEvent } from '../platform/event-store/event-store.port';
import { CREDITS_STREAM_PREFIX } from '../ledger/credits.events';
import { PAYMENT_STREAM_PREFIX, RECONCILIATION_STREAM_PREFIX } from './payment.events';
import { hasStrings } from '../platform/projection-runtime/event-shape';
import { Projector } from '../platform/projection-runtime/projector';

const DISPUTE_EVENTS = new Set(['DisputeFundsFrozen', 'DisputeFundsReleased', 'DisputeLost']);
const text = (value: unknown, max = 200): string | null => (typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null);
const int = (value: unknown): number | null => (typeof value === 'number' && Number.isSafeInteger(value) ? value : null);
const micro = (value: unknown): string | null => (typeof value === 'string' && /^-?\d{1,19}$/.test(value) ? value : null);
const time = (value: unknown, fallback: Date): Date => {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? fallback : new Date(ms);
};

/**
 * Payments for finance and for the developer: orders, each payment with Razorpay's last known
 * status next to our ledger status, refunds, disputes, discrepancies and reconciliation runs.
 * Payments are few next to usage, so events are applied one by one. Idempotent: order rows keep
 * their stream revision; every other write sets absolute values or inserts by a unique id.
 */
export const paymentsProjection: Projector = {
  name: 'payments',
  tables: ['payment_orders', 'payments', 'payment_refunds', 'payment_discrepancies', 'payment_reconciliation_runs'],
  async apply(trx, events) {
    for (const event of events) {
      if (event.stream.startsWith(PAYMENT_STREAM_PREFIX)) await applyPaymentEvent(trx, event);
      else if (event.stream.startsWith(RECONCILIATION_STREAM_PREFIX)) await applyReconciliationEvent(trx, event);
      else if (event.stream.startsWith(CREDITS_STREAM_PREFIX) && DISPUTE_EVENTS.has(event.type)) await applyDisputeEvent(trx, event);
    }
  },
};

async function applyPaymentEvent(trx: Transaction<Database>, event: RecordedEvent): Promise<void> {
  const d = event.data;
  const revision = event.revision.toString();
  switch (event.type) {
    case 'PaymentOrderCreated': {
      if (!hasStrings(d, 'orderId', 'accountId', 'amountMicroUsd', 'currency', 'receipt', 'createdAt') || micro(d.amountMicroUsd) === null || int(d.amountCents) === null) return;
      const at = time(d.createdAt, event.createdAt);
      await trx
        .insertInto('payment_orders')
        .values({
          order_id: d.orderId as string,
          account_id: d.accountId as string,
          amount_micro_usd: d.amountMicroUsd as string,
          amount_cents: d.amountCents as number,
          currency: d.currency as string,
          receipt: d.receipt as string,
          status: 'created',
          created_at: at,
          updated_at: at,
          revision,
        })
        .onConflict((oc) => oc.column('order_id').doNothing())
        .execute();
      return;
    }
    case 'PaymentObserved':
      if (!hasStrings(d, 'orderId', 'paymentId', 'status')) return;
      await upsertPayment(trx, d, event, {
        razorpay_status: text(d.status),
        captured: typeof d.captured === 'boolean' ? d.captured : null,
        amount_cents: int(d.amountCents),
        currency: text(d.currency, 8),
        error_reason: text(d.errorReason),
      });
      return;
    case 'CheckoutSignatureVerified':
      if (!hasStrings(d, 'orderId', 'paymentId')) return;
      await upsertPayment(trx, d, event, { checkout_verified: true });
      return;
    case 'PaymentCredited': {
      if (!hasStrings(d, 'orderId', 'paymentId', 'amountMicroUsd') || micro(d.amountMicroUsd) === null) return;
      const at = time(d.creditedAt, event.createdAt);
      await upsertPayment(trx, d, event, { ledger_status: 'credited', credited_micro_usd: d.amountMicroUsd as string, credited_at: at });
      await trx
        .updateTable('payment_orders')
        .set({ status: 'credited', updated_at: at, revision })
        .where('order_id', '=', d.orderId as string)
        .where('revision', '<', revision)
        .execute();
      return;
    }
    case 'PaymentDiscrepancyFound':
      await insertDiscrepancy(trx, event);
      return;
    case 'RefundRequested':
    case 'RefundApprovalRequested': {
      if (!hasStrings(d, 'orderId', 'paymentId', 'refundId', 'accountId', 'amountMicroUsd', 'reason') || micro(d.amountMicroUsd) === null) return;
      const at = time(d.requestedAt, event.createdAt);
      await trx
        .insertInto('payment_refunds')
        .values({
          refund_id: d.refundId as string,
          order_id: d.orderId as string,
          payment_id: d.paymentId as string,
          account_id: d.accountId as string,
          razorpay_refund_id: null,
          amount_micro_usd: d.amountMicroUsd as string,
          status: event.type === 'RefundRequested' ? 'requested' : 'pending_approval',
          reason: text(d.reason, 500) as string,
          requested_by: text(event.metadata.actorId, 64),
          failure_reason: null,
          requested_at: at,
          updated_at: at,
        })
        .onConflict((oc) => oc.column('refund_id').doNothing())
        .execute();
      return;
    }
    case 'RefundApproved':
    case 'RefundApprovalRejected': {
      if (!hasStrings(d, 'refundId')) return;
      const approved = event.type === 'RefundApproved';
      await trx
        .updateTable('payment_refunds')
        .set(
          approved
            ? { status: 'requested', approved_by: text(d.approvedBy, 64), updated_at: time(d.approvedAt, event.createdAt) }
            : { status: 'rejected', failure_reason: text(d.reason), updated_at: time(d.rejectedAt, event.createdAt) },
        )
        .where('refund_id', '=', d.refundId as string)
        .where('status', '=', 'pending_approval')
        .execute();
      return;
    }
    case 'RefundSubmitted':
    case 'RefundSettled':
    case 'RefundFailed': {
      if (!hasStrings(d, 'refundId')) return;
      const at = time(d.submittedAt ?? d.settledAt ?? d.failedAt, event.createdAt);
      const status = event.type === 'RefundSubmitted' ? 'submitted' : event.type === 'RefundSettled' ? 'settled' : 'failed';
      let update = trx.updateTable('payment_refunds').set({
        updated_at: at,
        status,
        ...(text(d.razorpayRefundId) ? { razorpay_refund_id: text(d.razorpayRefundId) } : {}),
        ...(status === 'failed' ? { failure_reason: text(d.reason) } : {}),
      });
      // A late "submitted" never overwrites a final status.
      if (status === 'submitted') update = update.where('status', '=', 'requested');
      await update.where('refund_id', '=', d.refundId as string).execute();
      return;
    }
    default:
      return;
  }
}

async function upsertPayment(trx: Transaction<Database>, d: JsonObject, event: RecordedEvent, set: Updateable<PaymentsTable>): Promise<void> {
  const order = await trx
    .selectFrom('payment_orders')
    .select('account_id')
    .where('order_id', '=', d.orderId as string)
    .executeTakeFirst();
  await trx
    .insertInto('payments')
    .values({
      payment_id: d.paymentId as string,
      order_id: d.orderId as string,
      account_id: order?.account_id ?? null,
      ledger_status: 'not_credited',
      updated_at: event.createdAt,
      ...set,
    } as Insertable<PaymentsTable>)
    .onConflict((oc) => oc.column('payment_id').doUpdateSet({ ...set, updated_at: event.createdAt }))
    .execute();
}

async function insertDiscrepancy(trx: Transaction<Database>, event: RecordedEvent): Promise<void> {
  const d = event.data;
  if (!hasStrings(d, 'kind', 'source')) return;
  await trx
    .insertInto('payment_discrepancies')
    .values({
      event_id: event.id,
      kind: text(d.kind, 40) as string,
      order_id: text(d.orderId, 64),
      payment_id: text(d.paymentId, 64),
      account_id: text(d.accountId, 64),
      expected: text(d.expected),
      actual: text(d.actual),
      source: text(d.source, 20) as string,
      run_id: text(d.runId, 80),
      found_at: time(d.foundAt, event.createdAt),
    })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .execute();
}

async function applyReconciliationEvent(trx: Transaction<Database>, event: RecordedEvent): Promise<void> {
  const d = event.data;
  if (event.type === 'PaymentDiscrepancyFound') return insertDiscrepancy(trx, event);
  if (event.type !== 'ReconciliationReported' || !hasStrings(d, 'runId', 'day', 'from', 'to', 'razorpayCapturedCents', 'creditedMicroUsd')) return;
  if (micro(d.razorpayCapturedCents) === null || micro(d.creditedMicroUsd) === null) return;
  await trx
    .insertInto('payment_reconciliation_runs')
    .values({
      run_id: d.runId as string,
      day: d.day as string,
      period_from: time(d.from, event.createdAt),
      period_to: time(d.to, event.createdAt),
      razorpay_captured_count: int(d.razorpayCapturedCount) ?? 0,
      razorpay_captured_cents: d.razorpayCapturedCents as string,
      credited_count: int(d.creditedCount) ?? 0,
      credited_micro_usd: d.creditedMicroUsd as string,
      discrepancy_count: int(d.discrepancyCount) ?? 0,
      reported_at: time(d.reportedAt, event.createdAt),
    })
    .onConflict((oc) => oc.column('run_id').doNothing())
    .execute();
}

async function applyDisputeEvent(trx: Transaction<Database>, event: RecordedEvent): Promise<void> {
  const d = event.data;
  if (!hasStrings(d, 'disputeId', 'paymentId')) return;
  const set: Updateable<PaymentsTable> =
    event.type === 'DisputeFundsFrozen'
      ? {
          dispute_id: d.disputeId as string,
          dispute_status: 'frozen',
          disputed_micro_usd: micro(d.disputedMicroUsd),
          frozen_micro_usd: micro(d.frozenMicroUsd),
          shortfall_micro_usd: micro(d.shortfallMicroUsd),
        }
      : { dispute_status: event.type === 'DisputeLost' ? 'lost' : 'released' };
  let update = trx
    .updateTable('payments')
    .set({ ...set, updated_at: event.createdAt })
    .where('payment_id', '=', d.paymentId as string);
  // Frozen comes first in the credits stream; a replayed "frozen" never reopens a settled dispute.
  if (event.type === 'DisputeFundsFrozen') update = update.where((eb) => eb.or([eb('dispute_status', 'is', null), eb('dispute_id', '!=', d.disputeId as string)]));
  await update.execute();
}
