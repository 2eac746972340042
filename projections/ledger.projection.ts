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
 * written with three unnest statements.
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
      if (txs.length === 0) return;
    }

    const names = [...new Set(txs.flatMap((t) => t.postings.map((p) => p.account)))];
    const current = (await sql<Selectable<LedgerBalancesTable>>`SELECT * FROM ledger_balances WHERE ledger_account = ANY(${names}::text[])`.execute(trx)).rows;
    const accounts = new Map<string, AccountRow>(
      current.map((r) => [r.ledger_account, { balance: BigInt(r.balance_micro_usd), debits: BigInt(r.debits_micro_usd), credits: BigInt(r.credits_micro_usd), entries: BigInt(r.entries), lastTxNo: BigInt(r.last_tx_no), updatedAt: r.updated_at }]),
    );
    const { max } = await trx.selectFrom('ledger_transactions').select((eb) => eb.fn.max('tx_no').as('max')).executeTakeFirstOrThrow();
    let txNo = max === null ? 0n : BigInt(max);

    const t = { txNo: [] as string[], eventId: [] as string[], stream: [] as string[], revision: [] as string[], type: [] as string[], owner: [] as (string | null)[], reference: [] as (string | null)[], reason: [] as (string | null)[], actor: [] as (string | null)[], amount: [] as string[], at: [] as string[] };
    const p = { txNo: [] as string[], postingNo: [] as number[], account: [] as string[], amount: [] as string[], balanceAfter: [] as string[], entryNo: [] as string[], at: [] as string[] };
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
        p.txNo.push(txNo.toString());
        p.postingNo.push(index + 1);
        p.account.push(posting.account);
        p.amount.push(posting.amountMicroUsd);
        p.balanceAfter.push(row.balance.toString());
        p.entryNo.push(row.entries.toString());
        p.at.push(at);
      });
      t.txNo.push(txNo.toString());
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

    await sql`
      INSERT INTO ledger_transactions (tx_no, event_id, stream, revision, type, owner_id, reference, reason, actor_id, amount_micro_usd, occurred_at)
      SELECT * FROM unnest(${t.txNo}::bigint[], ${t.eventId}::uuid[], ${t.stream}::text[], ${t.revision}::bigint[], ${t.type}::text[], ${t.owner}::text[],
                           ${t.reference}::text[], ${t.reason}::text[], ${t.actor}::text[], ${t.amount}::bigint[], ${t.at}::timestamptz[])`.execute(trx);
    await sql`
      INSERT INTO ledger_postings (tx_no, posting_no, ledger_account, amount_micro_usd, balance_after_micro_usd, entry_no, occurred_at)
      SELECT * FROM unnest(${p.txNo}::bigint[], ${p.postingNo}::smallint[], ${p.account}::text[], ${p.amount}::bigint[], ${p.balanceAfter}::bigint[],
                           ${p.entryNo}::bigint[], ${p.at}::timestamptz[])`.execute(trx);
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
