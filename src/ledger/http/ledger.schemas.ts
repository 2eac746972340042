import { z } from 'zod';
import { MicroUsd, pageOf, Time } from '../../platform/http/schema/fields';
import { fromBeforeTo, queryInt, queryText, timeRange } from '../../platform/http/schema/query';
import { PAGE_DEFAULT, PAGE_MAX, STATEMENT_CURSOR_MAX } from '../ledger.queries';

/**
 * What the ledger's read routes share: pages, statement lines, account totals, and the query
 * pieces that page and narrow them. The page size and cursors are checked by the queries
 * (`invalid_limit`, `invalid_cursor`), as for every other caller of them.
 */

const limit = queryInt.optional().meta({ description: `Page size, 1..${PAGE_MAX} (default ${PAGE_DEFAULT}).` });

/** `?from&to&limit&cursor` of a statement (a developer's, or any ledger account's for finance). */
export const StatementQuery = z
  .strictObject({
    ...timeRange,
    limit,
    cursor: queryText(STATEMENT_CURSOR_MAX).optional().meta({ description: 'The nextCursor of the previous page.' }),
  })
  .superRefine(fromBeforeTo);

/** A CSV export reads every page itself: only the time range narrows it. */
export const RangeQuery = z.strictObject(timeRange).superRefine(fromBeforeTo);

export const StatementLineView = z.object({
  entryNo: z.string().regex(/^\d+$/).meta({ description: 'Position in the account, 1 for its first line.' }),
  txNo: z.string().regex(/^\d+$/),
  occurredAt: Time,
  type: z.string().meta({ examples: ['CreditsGranted'] }),
  reference: z.string().nullable(),
  amountMicroUsd: MicroUsd.meta({ description: "Signed as the account's owner reads it: positive adds to the balance." }),
  balanceAfterMicroUsd: MicroUsd,
  reason: z.string().nullable().optional().meta({ description: "Finance views only: the staff member's reason." }),
  actorId: z.string().nullable().optional().meta({ description: 'Finance views only: who acted.' }),
});

export const StatementPage = pageOf(StatementLineView);

export const AccountTotalsView = z.object({
  account: z.string().meta({ examples: ['developer:7c0e…', 'platform:revenue'] }),
  kind: z.string().meta({ examples: ['developer', 'provider', 'vendor', 'platform'] }),
  ownerId: z.string().nullable(),
  normalSide: z.enum(['debit', 'credit']),
  balanceMicroUsd: MicroUsd.meta({ description: 'Debit-positive, as in the postings.' }),
  normalBalanceMicroUsd: MicroUsd.meta({ description: 'As the owner reads it (credits held, earnings owed, money in).' }),
  debitsMicroUsd: MicroUsd,
  creditsMicroUsd: MicroUsd,
  entries: z.string().regex(/^\d+$/),
});

const narrowing = {
  account: queryText(100).optional().meta({ description: 'A ledger account: developer:<accountId>, platform:revenue, …' }),
  type: queryText(64).optional().meta({ description: 'An event type, e.g. CreditsPurchased, UsageRecorded.' }),
  owner: queryText(64).optional().meta({ description: 'An account id: the transactions about that developer or provider.' }),
  ...timeRange,
};

/** GET /finance/journal.csv: the journal's filters; the export pages itself. */
export const JournalFilterQuery = z.strictObject(narrowing).superRefine(fromBeforeTo);

/** GET /finance/journal. */
export const JournalQuery = z
  .strictObject({ ...narrowing, limit, cursor: queryText(20).optional().meta({ description: 'The nextCursor of the previous page.' }) })
  .superRefine(fromBeforeTo);

export const JournalEntryView = z.object({
  txNo: z.string().regex(/^\d+$/),
  eventId: z.string(),
  stream: z.string(),
  type: z.string().meta({ examples: ['CreditsGranted'] }),
  ownerId: z.string().nullable(),
  reference: z.string().nullable(),
  reason: z.string().nullable(),
  actorId: z.string().nullable(),
  amountMicroUsd: MicroUsd,
  occurredAt: Time,
  postings: z.array(z.object({ account: z.string(), amountMicroUsd: MicroUsd.meta({ description: 'Debit-positive; a transaction sums to zero.' }) })),
});

export const JournalPage = pageOf(JournalEntryView);

export const JOURNAL_CSV_COLUMNS = ['tx_no', 'occurred_at', 'type', 'stream', 'event_id', 'owner_id', 'reference', 'actor_id', 'reason', 'ledger_account', 'amount_micro_usd'];

/** GET /finance/trial-balance. */
export const TrialBalanceQuery = z.strictObject({ at: timeRange.from.meta({ description: 'A past instant (ISO-8601); now when absent.' }) });

export const TrialBalanceView = z.object({
  at: Time.nullable(),
  totals: z.object({
    debitsMicroUsd: MicroUsd,
    creditsMicroUsd: MicroUsd,
    netMicroUsd: MicroUsd,
    balanced: z.boolean().meta({ description: 'Debits equal credits; false means the ledger is broken.' }),
  }),
  byKind: z.array(z.object({ kind: z.string(), accounts: z.number().int(), debitsMicroUsd: MicroUsd, creditsMicroUsd: MicroUsd, balanceMicroUsd: MicroUsd })),
  platform: z.array(AccountTotalsView),
});

/** GET /finance/ledger-accounts. */
export const AccountsQuery = z.strictObject({
  kind: z.enum(['developer', 'provider', 'vendor', 'platform']).optional(),
  limit,
  cursor: queryText(100).optional().meta({ description: 'The nextCursor of the previous page.' }),
});

export const AccountsPage = pageOf(AccountTotalsView);

/** GET /finance/ledger-accounts/:account. */
export const AccountView = z.object({ totals: AccountTotalsView, lines: StatementPage });
