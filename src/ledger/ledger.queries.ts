import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { DATE_LIMIT_MS } from '../platform/http/dates';
import { invalid, notFound } from '../platform/errors/domain-error';
import { KYSELY } from '../platform/database/database.module';
import { Database } from '../platform/database/schema';
import { normalBalance, NormalSide, parseLedgerAccount } from './ledger-accounts';

export const PAGE_MAX = 500;
export const PAGE_DEFAULT = 100;

export interface TimeRange {
  from?: Date;
  to?: Date;
}

export interface StatementLine {
  entryNo: string;
  txNo: string;
  occurredAt: string;
  type: string;
  reference: string | null;
  /** Signed as the account's owner reads it: positive adds to the balance. */
  amountMicroUsd: string;
  balanceAfterMicroUsd: string;
  /** Finance views only: the admin's reason and who acted. */
  reason?: string | null;
  actorId?: string | null;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next (older) page; null at the end. */
  nextCursor: string | null;
}

export interface JournalFilter extends TimeRange {
  account?: string;
  type?: string;
  /** The person the transaction is about (a developer or provider account id). */
  owner?: string;
}

export interface JournalEntry {
  txNo: string;
  eventId: string;
  stream: string;
  type: string;
  ownerId: string | null;
  reference: string | null;
  reason: string | null;
  actorId: string | null;
  amountMicroUsd: string;
  occurredAt: string;
  postings: { account: string; amountMicroUsd: string }[];
}

export interface AccountTotals {
  account: string;
  kind: string;
  ownerId: string | null;
  normalSide: NormalSide;
  /** Debit-positive, as in the postings. */
  balanceMicroUsd: string;
  /** As the owner reads it (credits held, earnings owed, money in). */
  normalBalanceMicroUsd: string;
  debitsMicroUsd: string;
  creditsMicroUsd: string;
  entries: string;
}

export interface TrialBalance {
  at: string | null;
  totals: { debitsMicroUsd: string; creditsMicroUsd: string; netMicroUsd: string; balanced: boolean };
  byKind: { kind: string; accounts: number; debitsMicroUsd: string; creditsMicroUsd: string; balanceMicroUsd: string }[];
  platform: AccountTotals[];
}

export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return PAGE_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_MAX) throw invalid('invalid_limit', `limit must be an integer in 1..${PAGE_MAX}.`);
  return limit;
}

/** A statement cursor: the last line's (occurred_at in ms, tx_no, posting_no). */
export const STATEMENT_CURSOR_MAX = 48;

export function statementCursorOf(cursor: string | undefined): { at: Date; txNo: string; postingNo: number } | null {
  if (cursor === undefined || cursor === '') return null;
  const m = /^(\d{1,15})-(\d{1,19})-(\d{1,5})$/.exec(cursor);
  if (!m || Number(m[1]) >= DATE_LIMIT_MS) throw invalid('invalid_cursor', 'cursor must be the nextCursor of a previous page.');
  return { at: new Date(Number(m[1])), txNo: m[2], postingNo: Number(m[3]) };
}

export function cursorOf(cursor: string | undefined): bigint | null {
  if (cursor === undefined || cursor === '') return null;
  if (!/^\d{1,19}$/.test(cursor)) throw invalid('invalid_cursor', 'cursor must be the nextCursor of a previous page.');
  return BigInt(cursor);
}

/** Read side of the ledger: statements, journal, trial balance, account totals. */
@Injectable()
export class LedgerQueries {
  constructor(@Inject(KYSELY) private readonly db: Kysely<Database>) {}

  /**
   * Newest first, in (occurred_at, tx_no, posting_no) order. Running balances and entry numbers
   * are not stored (a usage day summary replaces many postings with one, which would shift every
   * later stored value): each page computes them from the account's totals, less what comes
   * after the page, in one statement so they agree with each other. Cost grows with the depth of
   * the page in the account's history, not with the account's size.
   */
  async statement(ledgerAccount: string, options: TimeRange & { limit?: number; cursor?: string; withAudit?: boolean }): Promise<Page<StatementLine>> {
    const account = checkAccount(ledgerAccount);
    const limit = pageSize(options.limit);
    const cursor = statementCursorOf(options.cursor);
    // Rows above the page: after the cursor or at/after `to`. `from` only cuts the bottom.
    const below = sql.join(
      [
        sql`TRUE`,
        ...(cursor ? [sql`(p.occurred_at, p.tx_no, p.posting_no) < (${cursor.at}::timestamptz, ${cursor.txNo}::bigint, ${cursor.postingNo}::int)`] : []),
        ...(options.to ? [sql`p.occurred_at < ${options.to}`] : []),
      ],
      sql` AND `,
    );
    const { rows } = await sql<{
      tx_no: string;
      posting_no: number;
      occurred_at: Date;
      amount_micro_usd: string;
      type: string;
      reference: string | null;
      reason: string | null;
      actor_id: string | null;
      balance_after: string;
      entry_no: string;
    }>`
      WITH above AS (
        SELECT coalesce(sum(p.amount_micro_usd), 0) AS amount, count(*) AS entries FROM ledger_postings p WHERE p.ledger_account = ${account.name} AND NOT (${below})
      ), page AS (
        SELECT p.tx_no, p.posting_no, p.occurred_at, p.amount_micro_usd, t.type, t.reference, t.reason, t.actor_id
          FROM ledger_postings p JOIN ledger_transactions t ON t.tx_no = p.tx_no
         WHERE p.ledger_account = ${account.name} AND ${below} ${options.from ? sql`AND p.occurred_at >= ${options.from}` : sql``}
         ORDER BY p.occurred_at DESC, p.tx_no DESC, p.posting_no DESC LIMIT ${limit + 1}
      )
      SELECT page.*,
             (coalesce(b.balance_micro_usd, 0) - above.amount
               - coalesce(sum(page.amount_micro_usd) OVER (ORDER BY page.occurred_at DESC, page.tx_no DESC, page.posting_no DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))::text AS balance_after,
             (coalesce(b.entries, 0) - above.entries + 1
               - row_number() OVER (ORDER BY page.occurred_at DESC, page.tx_no DESC, page.posting_no DESC))::text AS entry_no
        FROM page CROSS JOIN above LEFT JOIN ledger_balances b ON b.ledger_account = ${account.name}
       ORDER BY page.occurred_at DESC, page.tx_no DESC, page.posting_no DESC`.execute(this.db);
    const items = rows.slice(0, limit).map((r): StatementLine => ({
      entryNo: r.entry_no,
      txNo: r.tx_no,
      occurredAt: r.occurred_at.toISOString(),
      type: r.type,
      reference: r.reference,
      amountMicroUsd: normalBalance(account.normalSide, BigInt(r.amount_micro_usd)).toString(),
      balanceAfterMicroUsd: normalBalance(account.normalSide, BigInt(r.balance_after)).toString(),
      ...(options.withAudit ? { reason: r.reason, actorId: r.actor_id } : {}),
    }));
    const last = rows[limit - 1];
    return { items, nextCursor: rows.length > limit ? `${last.occurred_at.getTime()}-${last.tx_no}-${last.posting_no}` : null };
  }

  async accountTotals(ledgerAccount: string): Promise<AccountTotals> {
    const account = checkAccount(ledgerAccount);
    const row = await this.db.selectFrom('ledger_balances').selectAll().where('ledger_account', '=', account.name).executeTakeFirst();
    if (!row) {
      return {
        account: account.name,
        kind: account.kind,
        ownerId: account.ownerId,
        normalSide: account.normalSide,
        balanceMicroUsd: '0',
        normalBalanceMicroUsd: '0',
        debitsMicroUsd: '0',
        creditsMicroUsd: '0',
        entries: '0',
      };
    }
    return totalsOf(row);
  }

  async accounts(options: { kind?: string; limit?: number; cursor?: string }): Promise<Page<AccountTotals>> {
    const limit = pageSize(options.limit);
    let query = this.db
      .selectFrom('ledger_balances')
      .selectAll()
      .orderBy('ledger_account')
      .limit(limit + 1);
    if (options.kind) query = query.where('kind', '=', options.kind);
    if (options.cursor) query = query.where('ledger_account', '>', options.cursor);
    const rows = await query.execute();
    const items = rows.slice(0, limit).map(totalsOf);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].account : null };
  }

  async journal(filter: JournalFilter & { limit?: number; cursor?: string }): Promise<Page<JournalEntry>> {
    const limit = pageSize(filter.limit);
    const cursor = cursorOf(filter.cursor);
    let query = this.db
      .selectFrom('ledger_transactions as t')
      .selectAll()
      .orderBy('t.tx_no', 'desc')
      .limit(limit + 1);
    if (cursor !== null) query = query.where('t.tx_no', '<', cursor.toString());
    if (filter.type) query = query.where('t.type', '=', filter.type);
    if (filter.owner) query = query.where('t.owner_id', '=', filter.owner);
    if (filter.from) query = query.where('t.occurred_at', '>=', filter.from);
    if (filter.to) query = query.where('t.occurred_at', '<', filter.to);
    if (filter.account) {
      const name = checkAccount(filter.account).name;
      query = query.where((eb) => eb.exists(eb.selectFrom('ledger_postings as p').select('p.tx_no').whereRef('p.tx_no', '=', 't.tx_no').where('p.ledger_account', '=', name)));
    }
    const rows = await query.execute();
    const page = rows.slice(0, limit);
    const postings = page.length
      ? await this.db
          .selectFrom('ledger_postings')
          .select(['tx_no', 'ledger_account', 'amount_micro_usd'])
          .where(
            'tx_no',
            'in',
            page.map((r) => r.tx_no),
          )
          .orderBy('tx_no')
          .orderBy('posting_no')
          .execute()
      : [];
    const byTx = new Map<string, { account: string; amountMicroUsd: string }[]>();
    for (const p of postings) byTx.set(p.tx_no, [...(byTx.get(p.tx_no) ?? []), { account: p.ledger_account, amountMicroUsd: p.amount_micro_usd }]);
    const items = page.map((r): JournalEntry => ({
      txNo: r.tx_no,
      eventId: r.event_id,
      stream: r.stream,
      type: r.type,
      ownerId: r.owner_id,
      reference: r.reference,
      reason: r.reason,
      actorId: r.actor_id,
      amountMicroUsd: r.amount_micro_usd,
      occurredAt: r.occurred_at.toISOString(),
      postings: byTx.get(r.tx_no) ?? [],
    }));
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].txNo : null };
  }

  /**
   * Now: from the account totals. At a past instant: summed from the postings up to it. Either
   * way the debits equal the credits, or the ledger is broken.
   */
  async trialBalance(at?: Date): Promise<TrialBalance> {
    const source = at
      ? sql`(SELECT ledger_account, split_part(ledger_account, ':', 1) AS kind,
                    sum(amount_micro_usd) AS balance,
                    sum(CASE WHEN amount_micro_usd > 0 THEN amount_micro_usd ELSE 0 END) AS debits,
                    sum(CASE WHEN amount_micro_usd < 0 THEN -amount_micro_usd ELSE 0 END) AS credits,
                    count(*) AS entries
               FROM ledger_postings WHERE occurred_at <= ${at} GROUP BY ledger_account)`
      : sql`(SELECT ledger_account, kind, balance_micro_usd AS balance, debits_micro_usd AS debits, credits_micro_usd AS credits, entries FROM ledger_balances)`;
    const { rows: kinds } = await sql<{ kind: string; accounts: string; debits: string; credits: string; balance: string }>`
      SELECT kind, count(*) AS accounts, coalesce(sum(debits), 0)::text AS debits, coalesce(sum(credits), 0)::text AS credits, coalesce(sum(balance), 0)::text AS balance
        FROM ${source} AS a GROUP BY kind ORDER BY kind`.execute(this.db);
    const { rows: platform } = await sql<{ ledger_account: string; balance: string; debits: string; credits: string; entries: string }>`
      SELECT ledger_account, balance::text, debits::text, credits::text, entries::text FROM ${source} AS a WHERE kind = 'platform' ORDER BY ledger_account`.execute(this.db);
    const debits = kinds.reduce((s, k) => s + BigInt(k.debits), 0n);
    const credits = kinds.reduce((s, k) => s + BigInt(k.credits), 0n);
    return {
      at: at ? at.toISOString() : null,
      totals: { debitsMicroUsd: debits.toString(), creditsMicroUsd: credits.toString(), netMicroUsd: (debits - credits).toString(), balanced: debits === credits },
      byKind: kinds.map((k) => ({ kind: k.kind, accounts: Number(k.accounts), debitsMicroUsd: k.debits, creditsMicroUsd: k.credits, balanceMicroUsd: k.balance })),
      platform: platform.map((p) => {
        const parsed = parseLedgerAccount(p.ledger_account) as NonNullable<ReturnType<typeof parseLedgerAccount>>;
        return {
          account: p.ledger_account,
          kind: 'platform',
          ownerId: null,
          normalSide: parsed.normalSide,
          balanceMicroUsd: p.balance,
          normalBalanceMicroUsd: normalBalance(parsed.normalSide, BigInt(p.balance)).toString(),
          debitsMicroUsd: p.debits,
          creditsMicroUsd: p.credits,
          entries: p.entries,
        };
      }),
    };
  }
}

function checkAccount(name: string) {
  const account = parseLedgerAccount(name);
  if (!account) throw notFound('ledger_account_not_found', 'No such ledger account; names look like developer:<accountId>, provider:<accountId> or platform:revenue.');
  return account;
}

function totalsOf(row: Database['ledger_balances']): AccountTotals {
  const side = row.normal_side as NormalSide;
  return {
    account: row.ledger_account,
    kind: row.kind,
    ownerId: row.owner_id,
    normalSide: side,
    balanceMicroUsd: row.balance_micro_usd,
    normalBalanceMicroUsd: normalBalance(side, BigInt(row.balance_micro_usd)).toString(),
    debitsMicroUsd: row.debits_micro_usd,
    creditsMicroUsd: row.credits_micro_usd,
    entries: row.entries,
  };
}
