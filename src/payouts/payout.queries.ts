import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { instantOf } from '../platform/http/dates';
import { invalid } from '../platform/errors/domain-error';
import { KYSELY } from '../platform/database/database.module';
import { Database, PayoutsTable } from '../platform/database/schema';
import { providerAccount } from '../ledger/ledger-accounts';
import { pageSize } from '../ledger/ledger.queries';
import { formatUsd } from '../platform/money';
import { PayoutStatus } from './payout.decide';
import { CLAWBACK_EVENT_TYPE } from './payout.events';

export const PAYOUT_STATUSES: readonly PayoutStatus[] = ['requested', 'approved', 'rejected', 'paid'];

export interface PayoutView {
  providerId: string;
  payoutId: string;
  amountMicroUsd: string;
  amountUsd: string;
  status: PayoutStatus;
  requestedAt: string;
  approvedAt: string | null;
  rejectedAt: string | null;
  rejectReason: string | null;
  paidAt: string | null;
  reference: string | null;
}

/** Finance views only: who took each step (P11). */
export interface PayoutWithActors extends PayoutView {
  requestedBy: string | null;
  approvedBy: string | null;
  rejectedBy: string | null;
  paidBy: string | null;
}

export interface PayoutFilter {
  providerId?: string;
  status?: string;
  limit?: number;
  cursor?: string;
}

export interface PayoutPage<T extends PayoutView = PayoutView> {
  items: T[];
  /** Pass back as `cursor` for the next (older) page; null at the end. */
  nextCursor: string | null;
}

/** Earnings on the provider's ledger account split at the holdback cutoff (payouts and clawbacks left out). */
export interface Earnings {
  maturedMicroUsd: bigint;
  heldBackMicroUsd: bigint;
  /** What each hold's node earned in its flagged days (matured or not), by review id. */
  heldForReview: Record<string, bigint>;
}

/** A hold for review, as the payout stream states it. */
export interface HoldPeriod {
  reviewId: string;
  nodeId: string;
  fromDay: string;
  toDay: string;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function view(r: PayoutsTable, withActors: boolean): PayoutView | PayoutWithActors {
  return {
    providerId: r.provider_id,
    payoutId: r.payout_id,
    amountMicroUsd: String(r.amount_micro_usd),
    amountUsd: formatUsd(BigInt(r.amount_micro_usd)),
    // The projection writes only the decider's statuses.
    status: r.status as PayoutStatus,
    requestedAt: r.requested_at.toISOString(),
    approvedAt: iso(r.approved_at),
    rejectedAt: iso(r.rejected_at),
    rejectReason: r.reject_reason,
    paidAt: iso(r.paid_at),
    reference: r.reference,
    ...(withActors ? { requestedBy: r.requested_by, approvedBy: r.approved_by, rejectedBy: r.rejected_by, paidBy: r.paid_by } : {}),
  };
}

/** Cursor: `<requestedAt ISO>|<providerId>|<payoutId>` of the last row of the previous page. */
function cursorOf(cursor: string | undefined): [Date, string, string] | null {
  if (!cursor) return null;
  const [at, providerId, payoutId] = cursor.split('|');
  const time = instantOf(at ?? '');
  if (!time || !providerId || !payoutId) throw invalid('invalid_cursor', 'cursor must be the nextCursor of a previous page.');
  return [time, providerId, payoutId];
}

/** Read side of payouts: the list (projection) and the earnings that bound them (ledger postings). */
@Injectable()
export class PayoutQueries {
  constructor(@Inject(KYSELY) private readonly db: Kysely<Database>) {}

  list(filter: PayoutFilter & { withActors: true }): Promise<PayoutPage<PayoutWithActors>>;
  list(filter: PayoutFilter & { withActors?: false }): Promise<PayoutPage>;
  async list(filter: PayoutFilter & { withActors?: boolean }): Promise<PayoutPage<PayoutView | PayoutWithActors>> {
    if (filter.status !== undefined && !(PAYOUT_STATUSES as readonly string[]).includes(filter.status)) {
      throw invalid('invalid_query', `status must be one of ${PAYOUT_STATUSES.join(', ')}.`);
    }
    const limit = pageSize(filter.limit);
    const cursor = cursorOf(filter.cursor);
    let query = this.db
      .selectFrom('payouts')
      .selectAll()
      .orderBy('requested_at', 'desc')
      .orderBy('provider_id', 'desc')
      .orderBy('payout_id', 'desc')
      .limit(limit + 1);
    if (filter.providerId) query = query.where('provider_id', '=', filter.providerId);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (cursor) query = query.where(sql<boolean>`(requested_at, provider_id, payout_id) < (${cursor[0]}, ${cursor[1]}, ${cursor[2]})`);
    const rows = await query.execute();
    const items = rows.slice(0, limit).map((r) => view(r, filter.withActors ?? false));
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit ? `${last.requestedAt}|${last.providerId}|${last.payoutId}` : null };
  }

  async get(providerId: string, payoutId: string): Promise<PayoutView | null> {
    const row = await this.db.selectFrom('payouts').selectAll().where('provider_id', '=', providerId).where('payout_id', '=', payoutId).executeTakeFirst();
    return row ? view(row, false) : null;
  }

  /**
   * Every amount the provider's account was credited with, split at `cutoff` by when it was
   * recorded, and what each hold's node earned in its flagged days — in one statement, so both
   * come from the same snapshot of the read models and lag together. PayoutPaid and clawbacks are
   * left out: those amounts come from the payout stream, which is never behind. The projections
   * lag only by events not yet applied, so this can only under-state the earnings (no other
   * posting debits a provider; see docs/payments.md, the adjustment rule). A hold counts from the usage
   * read model (the only one that knows the node), whole UTC days, matured or not: a hold can
   * make the available amount too low while its days are young, never too high.
   */
  async earnings(providerId: string, cutoff: Date, holds: readonly HoldPeriod[] = []): Promise<Earnings> {
    const { rows } = await sql<{ matured: string | null; held: string | null; review_id: string | null; amount: string | null }>`
      WITH earned AS (
        SELECT -sum(p.amount_micro_usd) FILTER (WHERE p.occurred_at <= ${cutoff}) AS matured,
               -sum(p.amount_micro_usd) FILTER (WHERE p.occurred_at > ${cutoff}) AS held
          FROM ledger_postings p JOIN ledger_transactions t ON t.tx_no = p.tx_no
         WHERE p.ledger_account = ${providerAccount(providerId)} AND t.type NOT IN ('PayoutPaid', ${CLAWBACK_EVENT_TYPE})
      ), holds AS (
        SELECT h.review_id, coalesce(sum(u.provider_share_micro_usd), 0)::text AS amount
          FROM unnest(${holds.map((h) => h.reviewId)}::text[], ${holds.map((h) => h.nodeId)}::text[], ${holds.map((h) => h.fromDay)}::date[], ${holds.map((h) => h.toDay)}::date[])
               AS h(review_id, node_id, from_day, to_day)
          LEFT JOIN usage_daily u ON u.provider_id = ${providerId} AND u.node_id = h.node_id AND u.day BETWEEN h.from_day AND h.to_day
         GROUP BY h.review_id
      )
      SELECT earned.matured, earned.held, holds.review_id, holds.amount FROM earned LEFT JOIN holds ON true`.execute(this.db);
    const heldForReview: Record<string, bigint> = {};
    for (const r of rows) if (r.review_id !== null) heldForReview[r.review_id] = BigInt(r.amount ?? 0);
    return { maturedMicroUsd: BigInt(rows[0]?.matured ?? 0), heldBackMicroUsd: BigInt(rows[0]?.held ?? 0), heldForReview };
  }
}
