import { Selectable, sql, Transaction } from 'kysely';
import { Database, LedgerBalancesTable } from '../platform/database/schema';
import { RecordedEvent } from '../platform/event-store/event-store.port';
import { parseLedgerAccount } from './ledger-accounts';
import { MAX_SUMMARY_POSTINGS, Posting, readPostings } from './postings';
import { Projector } from '../platform/projection-runtime/projector';

/** Fields that name what a money event is about, in the order they are looked for. */
const REFERENCE_FIELDS = ['paymentId', 'requestId', 'grantId', 'correctionId', 'refundId', 'payoutId', 'day', 'reviewId', 'probeId'] as const;

/** Replaces the stream's earlier transactions (retention: a usage day's details) with its own postings. */
const SUMMARY_TYPE = 'UsageDaySummarized';

interface LedgerTx {
  event: RecordedEvent;
  /** The event's position in the store: unique per event on both adapters, the same in a rebuild. */
  txNo: bigint;
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
  const postings = readPostings(event.data, event.type === SUMMARY_TYPE ? MAX_SUMMARY_POSTINGS : undefined);
  if (!postings) return null;
  const declared = Date.parse(String(event.metadata.occurredAt ?? ''));
  return { event, txNo: event.position.prepare, postings, occurredAt: Number.isNaN(declared) ? event.createdAt : new Date(declared) };
}

/**
 * The double-entry ledger: transactions, postings, account totals. Nothing positional is
 * stored (running balances and entry numbers are computed by the queries), so the rows are a
 * function of the events present: built live through a usage day's details and then its
 * summary, or rebuilt from the summary alone, they are the same. A summary deletes the
 * stream's earlier transactions and takes their place; the account totals move by the
 * difference (the balance by nothing, since the summary nets exactly what it replaces).
 */
export const ledgerProjection: Projector = {
  name: 'ledger',
  tables: ['ledger_transactions', 'ledger_postings', 'ledger_balances'],
  async apply(trx, events) {
    let txs = events.map(toLedgerTx).filter((t): t is LedgerTx => t !== null);
    if (txs.length === 0) return;
    // One array parameter, not an IN list of thousands of placeholders to bind, parse and plan.
    const seen = (await sql<{ event_id: string }>`SELECT event_id FROM ledger_transactions WHERE event_id = ANY(${txs.map((t) => t.event.id)}::uuid[])`.execute(trx)).rows;
    if (seen.length > 0) {
      const skip = new Set(seen.map((r) => r.event_id));
      txs = txs.filter((t) => !skip.has(t.event.id));
    }
    // In $all order: plain transactions in one batch up to each summary, which may replace some of them.
    let run: LedgerTx[] = [];
    for (const tx of txs) {
      if (tx.event.type !== SUMMARY_TYPE) {
        run.push(tx);
        continue;
      }
      await insertTransactions(trx, run, new Map());
      run = [];
      await applySummary(trx, tx);
    }
    await insertTransactions(trx, run, new Map());
  },
};

/** Writes transactions and postings (three unnest statements) and moves the account totals. */
async function insertTransactions(trx: Transaction<Database>, txs: LedgerTx[], removed: Map<string, AccountRow>): Promise<void> {
  if (txs.length === 0 && removed.size === 0) return;
  const names = [...new Set([...txs.flatMap((t) => t.postings.map((p) => p.account)), ...removed.keys()])];
  const current = (await sql<Selectable<LedgerBalancesTable>>`SELECT * FROM ledger_balances WHERE ledger_account = ANY(${names}::text[])`.execute(trx)).rows;
  const accounts = new Map<string, AccountRow>(
    current.map((r) => [
      r.ledger_account,
      {
        balance: BigInt(r.balance_micro_usd),
        debits: BigInt(r.debits_micro_usd),
        credits: BigInt(r.credits_micro_usd),
        entries: BigInt(r.entries),
        lastTxNo: BigInt(r.last_tx_no),
        updatedAt: r.updated_at,
      },
    ]),
  );
  // What a summary replaced leaves the totals.
  for (const [name, gone] of removed) {
    const row = accounts.get(name);
    if (!row) continue;
    row.balance -= gone.balance;
    row.debits -= gone.debits;
    row.credits -= gone.credits;
    row.entries -= gone.entries;
  }

  const t = {
    txNo: [] as string[],
    eventId: [] as string[],
    stream: [] as string[],
    revision: [] as string[],
    type: [] as string[],
    owner: [] as (string | null)[],
    reference: [] as (string | null)[],
    reason: [] as (string | null)[],
    actor: [] as (string | null)[],
    amount: [] as string[],
    at: [] as string[],
  };
  const p = { txNo: [] as string[], postingNo: [] as number[], account: [] as string[], amount: [] as string[], at: [] as string[] };
  for (const tx of txs) {
    const d = tx.event.data;
    const at = tx.occurredAt.toISOString();
    let size = 0n;
    tx.postings.forEach((posting, index) => {
      const amount = BigInt(posting.amountMicroUsd);
      if (amount > 0n) size += amount;
      const row = accounts.get(posting.account) ?? { balance: 0n, debits: 0n, credits: 0n, entries: 0n, lastTxNo: -1n, updatedAt: tx.occurredAt };
      row.balance += amount;
      if (amount > 0n) row.debits += amount;
      else row.credits -= amount;
      row.entries++;
      // The highest tx_no, not the last applied: the same whatever order the rows arrived in.
      if (tx.txNo >= row.lastTxNo) {
        row.lastTxNo = tx.txNo;
        row.updatedAt = tx.occurredAt;
      }
      accounts.set(posting.account, row);
      p.txNo.push(tx.txNo.toString());
      p.postingNo.push(index + 1);
      p.account.push(posting.account);
      p.amount.push(posting.amountMicroUsd);
      p.at.push(at);
    });
    t.txNo.push(tx.txNo.toString());
    t.eventId.push(tx.event.id);
    t.stream.push(tx.event.stream);
    t.revision.push(tx.event.revision.toString());
    t.type.push(tx.event.type);
    t.owner.push(text(d.accountId, 64) ?? text(d.providerId, 64));
    t.reference.push(REFERENCE_FIELDS.map((f) => text(d[f], 128)).find((v) => v !== null) ?? null);
    t.reason.push(text(d.reason, 500));
    t.actor.push(text(tx.event.metadata.actorId, 64));
    t.amount.push(size.toString());
    t.at.push(at);
  }

  if (txs.length > 0) {
    await sql`
      INSERT INTO ledger_transactions (tx_no, event_id, stream, revision, type, owner_id, reference, reason, actor_id, amount_micro_usd, occurred_at)
      SELECT * FROM unnest(${t.txNo}::bigint[], ${t.eventId}::uuid[], ${t.stream}::text[], ${t.revision}::bigint[], ${t.type}::text[], ${t.owner}::text[],
                           ${t.reference}::text[], ${t.reason}::text[], ${t.actor}::text[], ${t.amount}::bigint[], ${t.at}::timestamptz[])`.execute(trx);
    await sql`
      INSERT INTO ledger_postings (tx_no, posting_no, ledger_account, amount_micro_usd, occurred_at)
      SELECT * FROM unnest(${p.txNo}::bigint[], ${p.postingNo}::smallint[], ${p.account}::text[], ${p.amount}::bigint[], ${p.at}::timestamptz[])`.execute(trx);
  }
  // An account whose last transaction was replaced, and that the new ones do not touch (its
  // net over the day was zero), takes its last remaining transaction, as a rebuild would.
  for (const [name, gone] of removed) {
    const row = accounts.get(name);
    if (!row || row.entries === 0n || row.lastTxNo > gone.lastTxNo) continue;
    const last = await trx.selectFrom('ledger_postings').select(['tx_no', 'occurred_at']).where('ledger_account', '=', name).orderBy('tx_no', 'desc').limit(1).executeTakeFirst();
    if (!last) row.entries = 0n;
    else {
      row.lastTxNo = BigInt(last.tx_no);
      row.updatedAt = last.occurred_at;
    }
  }

  const empty = [...accounts].filter(([, row]) => row.entries === 0n).map(([name]) => name);
  if (empty.length > 0) await trx.deleteFrom('ledger_balances').where('ledger_account', 'in', empty).execute();
  const b = {
    account: [] as string[],
    kind: [] as string[],
    owner: [] as (string | null)[],
    side: [] as string[],
    balance: [] as string[],
    debits: [] as string[],
    credits: [] as string[],
    entries: [] as string[],
    lastTx: [] as string[],
    at: [] as string[],
  };
  for (const [name, row] of accounts) {
    if (row.entries === 0n) continue;
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
  if (b.account.length === 0) return;
  await sql`
    INSERT INTO ledger_balances AS l (ledger_account, kind, owner_id, normal_side, balance_micro_usd, debits_micro_usd, credits_micro_usd, entries, last_tx_no, updated_at)
    SELECT * FROM unnest(${b.account}::text[], ${b.kind}::text[], ${b.owner}::text[], ${b.side}::text[], ${b.balance}::bigint[], ${b.debits}::bigint[],
                         ${b.credits}::bigint[], ${b.entries}::bigint[], ${b.lastTx}::bigint[], ${b.at}::timestamptz[])
    ON CONFLICT (ledger_account) DO UPDATE SET
      balance_micro_usd = excluded.balance_micro_usd, debits_micro_usd = excluded.debits_micro_usd, credits_micro_usd = excluded.credits_micro_usd,
      entries = excluded.entries, last_tx_no = excluded.last_tx_no, updated_at = excluded.updated_at`.execute(trx);
}

/**
 * A usage day summary: the stream's earlier transactions (the day's charges, or an earlier
 * summary and charges recorded after it) are deleted with their postings, their totals taken
 * out of the accounts, and the summary's net postings go in as one transaction. Rebuilt with
 * the details already gone, nothing is deleted and the same rows result.
 */
async function applySummary(trx: Transaction<Database>, summary: LedgerTx): Promise<void> {
  const { rows } = await sql<{ ledger_account: string; balance: string; debits: string; credits: string; entries: string; last_tx_no: string }>`
    WITH gone AS (
      DELETE FROM ledger_transactions WHERE stream = ${summary.event.stream} AND revision < ${summary.event.revision.toString()}::bigint RETURNING tx_no
    ), postings AS (
      DELETE FROM ledger_postings p USING gone WHERE p.tx_no = gone.tx_no RETURNING p.ledger_account, p.amount_micro_usd, p.tx_no
    )
    SELECT ledger_account, sum(amount_micro_usd)::text AS balance,
           sum(CASE WHEN amount_micro_usd > 0 THEN amount_micro_usd ELSE 0 END)::text AS debits,
           sum(CASE WHEN amount_micro_usd < 0 THEN -amount_micro_usd ELSE 0 END)::text AS credits,
           count(*)::text AS entries, max(tx_no)::text AS last_tx_no
      FROM postings GROUP BY ledger_account`.execute(trx);
  const removed = new Map<string, AccountRow>(
    rows.map((r) => [
      r.ledger_account,
      {
        balance: BigInt(r.balance),
        debits: BigInt(r.debits),
        credits: BigInt(r.credits),
        entries: BigInt(r.entries),
        lastTxNo: BigInt(r.last_tx_no),
        updatedAt: summary.occurredAt,
      },
    ]),
  );
  await insertTransactions(trx, [summary], removed);
}
