import { sql, Transaction } from 'kysely';
import { Database, PayoutsTable } from '../platform/database/schema';
import { RecordedEvent } from '../platform/event-store/event-store.port';
import { hasStrings } from '../platform/projection-runtime/event-shape';
import { Projector } from '../platform/projection-runtime/projector';
import { PayoutEvent } from './payout.events';

const STREAM_PREFIX = 'payout-';
type Row = PayoutsTable;

export function time(value: unknown): Date | null {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? null : new Date(ms);
}

export function actor(event: RecordedEvent): string | null {
  const id = event.metadata.actorId;
  return typeof id === 'string' && id.length > 0 ? id.slice(0, 128) : null;
}

/** The row after one event, or null when the event does not apply (unknown, malformed, or a step without its request). */
function step(row: Row | undefined, recorded: RecordedEvent, providerId: string): Row | null {
  const event = { type: recorded.type, data: recorded.data } as PayoutEvent;
  const revision = recorded.revision.toString();
  const d = event.data;
  if (!hasStrings(d, 'payoutId')) return null;
  switch (event.type) {
    case 'PayoutRequested': {
      const at = time(event.data.requestedAt);
      if (row || !at || !/^\d{1,19}$/.test(String(event.data.amountMicroUsd))) return null;
      return {
        provider_id: providerId,
        payout_id: event.data.payoutId,
        amount_micro_usd: event.data.amountMicroUsd,
        status: 'requested',
        requested_at: at,
        requested_by: actor(recorded),
        approved_at: null,
        approved_by: null,
        rejected_at: null,
        rejected_by: null,
        reject_reason: null,
        paid_at: null,
        paid_by: null,
        reference: null,
        updated_at: at,
        revision,
      };
    }
    case 'PayoutApproved': {
      const at = time(event.data.approvedAt);
      return row && at ? { ...row, status: 'approved', approved_at: at, approved_by: actor(recorded), updated_at: at, revision } : null;
    }
    case 'PayoutRejected': {
      const at = time(event.data.rejectedAt);
      const reason = typeof event.data.reason === 'string' ? event.data.reason.slice(0, 500) : null;
      return row && at ? { ...row, status: 'rejected', rejected_at: at, rejected_by: actor(recorded), reject_reason: reason, updated_at: at, revision } : null;
    }
    case 'PayoutPaid': {
      const at = time(event.data.paidAt);
      const reference = typeof event.data.reference === 'string' ? event.data.reference.slice(0, 200) : null;
      return row && at ? { ...row, status: 'paid', paid_at: at, paid_by: actor(recorded), reference, updated_at: at, revision } : null;
    }
    default:
      return null;
  }
}

/**
 * Payouts: one row per payout, folded in memory over the batch and written with one unnest
 * upsert. Rows keep the stream revision they reflect: an event at or below it is a replay and
 * is skipped (here and in the upsert's WHERE), so live and rebuilt rows are the same.
 */
export const payoutsProjection: Projector = {
  name: 'payouts',
  tables: ['payouts'],
  async apply(trx, events) {
    const mine = events.filter((e) => e.stream.startsWith(STREAM_PREFIX) && typeof e.data.payoutId === 'string');
    if (mine.length === 0) return;
    const key = (providerId: string, payoutId: string) => `${providerId}\u0000${payoutId}`;
    const wanted = [...new Map(mine.map((e) => [key(e.stream.slice(STREAM_PREFIX.length), e.data.payoutId as string), e])).values()];
    const rows = new Map<string, Row>();
    for (const row of await load(
      trx,
      wanted.map((e) => e.stream.slice(STREAM_PREFIX.length)),
      wanted.map((e) => e.data.payoutId as string),
    )) {
      rows.set(key(row.provider_id, row.payout_id), row);
    }
    const changed = new Set<string>();
    for (const event of mine) {
      const providerId = event.stream.slice(STREAM_PREFIX.length);
      const k = key(providerId, event.data.payoutId as string);
      const row = rows.get(k);
      if (row && BigInt(row.revision) >= event.revision) continue;
      const next = step(row, event, providerId);
      if (!next) continue;
      rows.set(k, next);
      changed.add(k);
    }
    if (changed.size > 0)
      await save(
        trx,
        [...changed].map((k) => rows.get(k) as Row),
      );
  },
};

async function load(trx: Transaction<Database>, providers: string[], payoutIds: string[]): Promise<Row[]> {
  const { rows } = await sql<Row>`
    SELECT p.* FROM payouts p JOIN unnest(${providers}::text[], ${payoutIds}::text[]) AS k(provider_id, payout_id)
      ON p.provider_id = k.provider_id AND p.payout_id = k.payout_id`.execute(trx);
  return rows.map((r) => ({ ...r, amount_micro_usd: String(r.amount_micro_usd), revision: String(r.revision) }));
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

async function save(trx: Transaction<Database>, rows: Row[]): Promise<void> {
  const col = <K extends keyof Row>(k: K) => rows.map((r) => r[k]);
  const times = (k: 'requested_at' | 'approved_at' | 'rejected_at' | 'paid_at' | 'updated_at') => rows.map((r) => iso(r[k]));
  await sql`
    INSERT INTO payouts AS p (provider_id, payout_id, amount_micro_usd, status, requested_at, requested_by, approved_at, approved_by, rejected_at, rejected_by,
                              reject_reason, paid_at, paid_by, reference, updated_at, revision)
    SELECT * FROM unnest(${col('provider_id')}::text[], ${col('payout_id')}::text[], ${col('amount_micro_usd')}::bigint[], ${col('status')}::text[],
                         ${times('requested_at')}::timestamptz[], ${col('requested_by')}::text[], ${times('approved_at')}::timestamptz[], ${col('approved_by')}::text[],
                         ${times('rejected_at')}::timestamptz[], ${col('rejected_by')}::text[], ${col('reject_reason')}::text[], ${times('paid_at')}::timestamptz[],
                         ${col('paid_by')}::text[], ${col('reference')}::text[], ${times('updated_at')}::timestamptz[], ${col('revision')}::bigint[])
    ON CONFLICT (provider_id, payout_id) DO UPDATE SET
      status = excluded.status, approved_at = excluded.approved_at, approved_by = excluded.approved_by, rejected_at = excluded.rejected_at,
      rejected_by = excluded.rejected_by, reject_reason = excluded.reject_reason, paid_at = excluded.paid_at, paid_by = excluded.paid_by,
      reference = excluded.reference, updated_at = excluded.updated_at, revision = excluded.revision
    WHERE p.revision < excluded.revision`.execute(trx);
}
