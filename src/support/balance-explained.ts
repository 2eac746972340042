import { developerAccount } from '../ledger/ledger-accounts';
import { LedgerQueries, StatementLine } from '../ledger/ledger.queries';

export interface BalanceExplained {
  accountId: string;
  at: string;
  /** The developer's balance after the last ledger line at or before `at` (0 before the first). */
  balanceMicroUsd: string;
  lines: StatementLine[];
  nextCursor: string | null;
}

/**
 * "Why is this balance X": the statement the developer sees (the ledger read model, with the
 * staff reasons and actors), cut at `at`. The newest line's running balance is the balance then;
 * a later page (cursor) continues further back.
 */
export async function explainBalance(ledger: LedgerQueries, accountId: string, at: Date, page: { limit?: number; cursor?: string }): Promise<BalanceExplained> {
  const account = developerAccount(accountId);
  const to = new Date(at.getTime() + 1); // the statement's `to` is exclusive; `at` is included
  const lines = await ledger.statement(account, { to, ...page, withAudit: true });
  const latest = page.cursor ? (await ledger.statement(account, { to, limit: 1 })).items[0] : lines.items[0];
  return { accountId, at: at.toISOString(), balanceMicroUsd: latest?.balanceAfterMicroUsd ?? '0', lines: lines.items, nextCursor: lines.nextCursor };
}
