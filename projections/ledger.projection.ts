import { Selectable, sql } from 'kysely';
import { LedgerBalancesTable } from '../src/database/schema';
import { RecordedEvent } from '../src/event-store/event-store.port';
import { parseLedgerAccount } from '../src/ledger/ledger-accounts';
import { Posting, readPostings } from '../src/ledger/postings';
import { Projector } from '../src/projection-runtime/projector';

/** Fields that name what a money event is about, in the order they are looked for. */
const REFERENCE_FIELDS = ['paymentId', 'requestId', 'grantId', 'correctionId', 'refundId', 'payoutId'] as const;

interface LedgerTx {
  event: RecordedEvent;
  postings: Posting[];
  occurredAt: Date;
}

interface AccountRow {
  balance: bigint;
  debits: bigint;
  credits: bigint;
  entries: bigint;
  lastTxNo: bigint;
  updatedAt: Date;
}

function text(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null;
}

/** Every event that carries balanced postings is a ledger transaction, whatever its stream. */
function toLedgerTx(event: RecordedEvent): LedgerTx | null {
  const postings = readPostings(event.data);
  if (!postings) return null;
  const declared = Date.parse(String(event.metadata.occurredAt ?? ''));
  return { event, postings, occurredAt: Number.isNaN(declared) ? event.createdAt : new Date(declared) };
}

/**
 * The double-entry ledger: transactions, postings with running balances, account totals.
 * Running balances need $all order within the batch, so the batch is numbered in memory and
 * written with three statements (transactions and postings as one JSON text each).
 */
export const ledgerProjection: Projector = {
  name: 'ledger',
  tables: ['ledger_transactions', 'ledger_postings', 'ledger_balances'],
  async apply(trx, events) {
    let txs = events.map(toLedgerTx).filter((t): t is LedgerTx => t !== null);
    if (txs.length === 0) return;
    // One array parameter, not an IN list of a thousand: parsing and planning that list cost more than the lookup.
    const seen = (await sql<{ event_id: string }>`SELECT event_id FROM ledger_transactions WHERE event_id = ANY(${txs.map((t) => t.event.id)}::uuid[])`.execute(trx)).rows;
    if (seen.length > 0) {
      const skip = new Set(seen.map((r) => r.event_id));
      txs = txs.filter((t) => !skip.has(t.event.id));
      if (txs.length === 0) return;
    }

    const names = [...new Set(txs.flatMap((t) => t.postings.map((p) => p.account)))];
    const current = (await sql<Selectable<LedgerBalancesTable>>`SELECT * FROM ledger_balances WHERE ledger_account = ANY(${names}::text[])`.execute(trx)).rows;
    const accounts = new Map<string, AccountRow>(
      current.map((r) => [r.ledger_account, { balance: BigInt(r.balance_micro_usd), debits: BigInt(r.debits_micro_usd), credits: BigInt(r.credits_micro_usd), entries: BigInt(r.entries), lastTxNo: BigInt(r.last_tx_no), updatedAt: r.updated_at }]),
    );
    const { max } = await trx.selectFrom('ledger_transactions').select((eb) => eb.fn.max('tx_no').as('max')).executeTakeFirstOrThrow();
    let txNo = max === null ? 0n : BigInt(max);

    const t: { t: string; id: string; s: string; r: string; ty: string; o: string | null; ref: string | null; why: string | null; by: string | null; m: string; at: string }[] = [];
    // Postings go as one JSON text (three rows per charge): node-postgres encodes large text arrays element by element, far slower than JSON.stringify.
    const p: { t: string; n: number; a: string; m: string; b: string; e: string; at: string }[] = [];
    for (const tx of txs) {
      txNo++;
      const d = tx.event.data;
      const at = tx.occurredAt.toISOString();
      let size = 0n;
      tx.postings.forEach((posting, index) => {
        const amount = BigInt(posting.amountMicroUsd);
        if (amount > 0n) size += amount;
        const row = accounts.get(posting.account) ?? { balance: 0n, debits: 0n, credits: 0n, entries: 0n, lastTxNo: 0n, updatedAt: tx.occurredAt };
        row.balance += amount;
        if (amount > 0n) row.debits += amount;
        else row.credits -= amount;
        row.entries++;
        row.lastTxNo = txNo;
        row.updatedAt = tx.occurredAt;
        accounts.set(posting.account, row);
        p.push({ t: txNo.toString(), n: index + 1, a: posting.account, m: posting.amountMicroUsd, b: row.balance.toString(), e: row.entries.toString(), at });
      });
      t.push({
        t: txNo.toString(),
        id: tx.event.id,
        s: tx.event.stream,
        r: tx.event.revision.toString(),
        ty: tx.event.type,
        o: text(d.accountId, 64) ?? text(d.providerId, 64),
        ref: REFERENCE_FIELDS.map((f) => text(d[f], 128)).find((v) => v !== null) ?? null,
        why: text(d.reason, 500),
        by: text(tx.event.metadata.actorId, 64),
        m: size.toString(),
        at,
      });
    }

    await sql`
      INSERT INTO ledger_transactions (tx_no, event_id, stream, revision, type, owner_id, reference, reason, actor_id, amount_micro_usd, occurred_at)
      SELECT t, id, s, r, ty, o, ref, why, by, m, at
        FROM json_to_recordset(${JSON.stringify(t)}::json) AS x(t bigint, id uuid, s text, r bigint, ty text, o text, ref text, why text, by text, m bigint, at timestamptz)`.execute(trx);
    await sql`
      INSERT INTO ledger_postings (tx_no, posting_no, ledger_account, amount_micro_usd, balance_after_micro_usd, entry_no, occurred_at)
      SELECT t, n, a, m, b, e, at FROM json_to_recordset(${JSON.stringify(p)}::json) AS r(t bigint, n smallint, a text, m bigint, b bigint, e bigint, at timestamptz)`.execute(trx);
    const b = { account: [] as string[], kind: [] as string[], owner: [] as (string | null)[], side: [] as string[], balance: [] as string[], debits: [] as string[], credits: [] as string[], entries: [] as string[], lastTx: [] as string[], at: [] as string[] };
    for (const [name, row] of accounts) {
      if (row.lastTxNo === 0n) continue;
      const parsed = parseLedgerAccount(name);
      if (!parsed) continue; // readPostings already refused unknown accounts
      b.account.push(name);
      b.kind.push(parsed.kind);
      b.owner.push(parsed.ownerId);
      b.side.push(parsed.normalSide);
      b.balance.push(row.balance.toString());
      b.debits.push(row.debits.toString());
      b.credits.push(row.credits.toString());
      b.entries.push(row.entries.toString());
      b.lastTx.push(row.lastTxNo.toString());
      b.at.push(row.updatedAt.toISOString());
    }
    await sql`
      INSERT INTO ledger_balances AS l (ledger_account, kind, owner_id, normal_side, balance_micro_usd, debits_micro_usd, credits_micro_usd, entries, last_tx_no, updated_at)
      SELECT * FROM unnest(${b.account}::text[], ${b.kind}::text[], ${b.owner}::text[], ${b.side}::text[], ${b.balance}::bigint[], ${b.debits}::bigint[],
                           ${b.credits}::bigint[], ${b.entries}::bigint[], ${b.lastTx}::bigint[], ${b.at}::timestamptz[])
      ON CONFLICT (ledger_account) DO UPDATE SET
        balance_micro_usd = excluded.balance_micro_usd, debits_micro_usd = excluded.debits_micro_usd, credits_micro_usd = excluded.credits_micro_usd,
        entries = excluded.entries, last_tx_no = excluded.last_tx_no, updated_at = excluded.updated_at`.execute(trx);
  },
};
