import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { invalid } from '../platform/errors/domain-error';
import { KYSELY } from '../platform/database/database.module';
import { Database } from '../platform/database/schema';

export const LIST_LIMIT_DEFAULT = 100;
export const LIST_LIMIT_MAX = 500;
const LEDGER_STATUSES = ['credited', 'not_credited'];

export interface PaymentRow {
  paymentId: string;
  orderId: string;
  accountId: string | null;
  razorpayStatus: string | null;
  amountCents: number | null;
  currency: string | null;
  ledgerStatus: string;
  creditedMicroUsd: string | null;
  refundedMicroUsd: string;
  dispute: { disputeId: string; status: string | null; disputedMicroUsd: string | null; frozenMicroUsd: string | null; shortfallMicroUsd: string | null } | null;
  /** Razorpay's `captured` flag: false for an auto-refunded payment (a duplicate, a capture timeout). */
  captured: boolean;
  /** Razorpay says captured but nothing was credited, or the reverse. */
  mismatch: boolean;
  updatedAt: string;
}

const limitOf = (limit: number | undefined): number => {
  if (limit === undefined) return LIST_LIMIT_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1 || limit > LIST_LIMIT_MAX) throw invalid('invalid_query', `limit must be 1..${LIST_LIMIT_MAX}.`);
  return limit;
};
const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** Finance's read side of payments: Razorpay's status next to the ledger's, newest first. */
@Injectable()
export class PaymentQueries {
  constructor(@Inject(KYSELY) private readonly db: Kysely<Database>) {}

  async payments(filter: { ledgerStatus?: string; razorpayStatus?: string; accountId?: string; before?: Date; limit?: number }): Promise<PaymentRow[]> {
    if (filter.ledgerStatus && !LEDGER_STATUSES.includes(filter.ledgerStatus)) throw invalid('invalid_query', `ledgerStatus must be one of ${LEDGER_STATUSES.join(', ')}.`);
    let q = this.db
      .selectFrom('payments as p')
      .selectAll('p')
      .select((eb) =>
        eb
          .selectFrom('payment_refunds as r')
          .select((e) => e.fn.coalesce(e.fn.sum<string>('r.amount_micro_usd'), e.lit(0)).as('s'))
          .whereRef('r.payment_id', '=', 'p.payment_id')
          .where('r.status', 'in', ['requested', 'submitted', 'settled'])
          .as('refunded'),
      )
      .orderBy('p.updated_at', 'desc')
      .orderBy('p.payment_id', 'desc')
      .limit(limitOf(filter.limit));
    if (filter.ledgerStatus) q = q.where('p.ledger_status', '=', filter.ledgerStatus);
    if (filter.razorpayStatus) q = q.where('p.razorpay_status', '=', filter.razorpayStatus);
    if (filter.accountId) q = q.where('p.account_id', '=', filter.accountId);
    if (filter.before) q = q.where('p.updated_at', '<', filter.before);
    const rows = await q.execute();
    return rows.map((r) => {
      // An auto-refunded payment is `refunded` but was never captured: nothing was received to credit.
      const captured = r.captured ?? (r.razorpay_status === 'captured' || r.razorpay_status === 'refunded');
      return {
        paymentId: r.payment_id,
        orderId: r.order_id,
        accountId: r.account_id,
        razorpayStatus: r.razorpay_status,
        amountCents: r.amount_cents,
        currency: r.currency,
        ledgerStatus: r.ledger_status,
        creditedMicroUsd: text(r.credited_micro_usd),
        refundedMicroUsd: String(r.refunded ?? '0'),
        dispute: r.dispute_id
          ? {
              disputeId: r.dispute_id,
              status: r.dispute_status,
              disputedMicroUsd: text(r.disputed_micro_usd),
              frozenMicroUsd: text(r.frozen_micro_usd),
              shortfallMicroUsd: text(r.shortfall_micro_usd),
            }
          : null,
        captured,
        mismatch: captured !== (r.ledger_status === 'credited'),
        updatedAt: r.updated_at.toISOString(),
      };
    });
  }

  async discrepancies(filter: { kind?: string; paymentId?: string; before?: Date; limit?: number }) {
    let q = this.db.selectFrom('payment_discrepancies').selectAll().orderBy('found_at', 'desc').orderBy('event_id', 'desc').limit(limitOf(filter.limit));
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.paymentId) q = q.where('payment_id', '=', filter.paymentId);
    if (filter.before) q = q.where('found_at', '<', filter.before);
    const rows = await q.execute();
    return rows.map((r) => ({
      id: r.event_id,
      kind: r.kind,
      orderId: r.order_id,
      paymentId: r.payment_id,
      accountId: r.account_id,
      expected: r.expected,
      actual: r.actual,
      source: r.source,
      runId: r.run_id,
      foundAt: r.found_at.toISOString(),
    }));
  }

  async refunds(filter: { paymentId?: string; limit?: number }) {
    let q = this.db.selectFrom('payment_refunds').selectAll().orderBy('requested_at', 'desc').limit(limitOf(filter.limit));
    if (filter.paymentId) q = q.where('payment_id', '=', filter.paymentId);
    const rows = await q.execute();
    return rows.map((r) => ({
      refundId: r.refund_id,
      paymentId: r.payment_id,
      orderId: r.order_id,
      accountId: r.account_id,
      razorpayRefundId: r.razorpay_refund_id,
      amountMicroUsd: String(r.amount_micro_usd),
      status: r.status,
      reason: r.reason,
      requestedBy: r.requested_by,
      approvedBy: r.approved_by,
      failureReason: r.failure_reason,
      requestedAt: r.requested_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    }));
  }

  async reconciliationRuns(limit?: number) {
    const rows = await this.db.selectFrom('payment_reconciliation_runs').selectAll().orderBy('reported_at', 'desc').limit(limitOf(limit)).execute();
    return rows.map((r) => ({
      runId: r.run_id,
      day: r.day,
      from: r.period_from.toISOString(),
      to: r.period_to.toISOString(),
      razorpayCapturedCount: r.razorpay_captured_count,
      razorpayCapturedCents: String(r.razorpay_captured_cents),
      creditedCount: r.credited_count,
      creditedMicroUsd: String(r.credited_micro_usd),
      discrepancyCount: r.discrepancy_count,
      reportedAt: r.reported_at.toISOString(),
    }));
  }

  async webhookEvents(limit?: number) {
    const rows = await this.db.selectFrom('payment_webhook_events').selectAll().orderBy('first_received_at', 'desc').limit(limitOf(limit)).execute();
    return rows.map((r) => ({
      eventId: r.event_id,
      event: r.event,
      entityId: r.entity_id,
      deliveries: r.deliveries,
      firstReceivedAt: r.first_received_at.toISOString(),
      lastReceivedAt: r.last_received_at.toISOString(),
    }));
  }
}
