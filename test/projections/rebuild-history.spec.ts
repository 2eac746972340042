import { hashPassword } from '../../src/accounts/password';
import { PostgresEventStore } from '../../src/platform/event-store/postgres/postgres.event-store';
import { LedgerQueries } from '../../src/ledger/ledger.queries';
import { readPostings } from '../../src/ledger/postings';
import { PersonalDataVault } from '../../src/platform/personal-data/personal-data.vault';
import { READ_MODELS_CHECKPOINT } from '../../src/platform/projection-runtime/checkpoint';
import { REPLAY_BATCH_SIZE, replay, resetReadModels } from '../../src/platform/projection-runtime/replay';
import { verifyProjections } from '../../src/platform/projection-runtime/verify';
import { Secrets } from '../../src/platform/security/secrets';
import { projectors } from '../../src/read-models';
import { createTestDatabase, TestDatabase } from '../support/database';
import { HistoryEvent, HistoryGenerator } from '../support/history/history.generator';
import { writeHistory } from '../support/history/history.writer';

const EVENTS = 20_000;

/** What the events themselves say, tallied while they are written (not read back from any read model). */
interface Expected {
  byAccount: Map<string, bigint>;
  ledgerTransactions: number;
  postings: number;
  streams: Set<string>;
  accounts: Set<string>;
  apiKeys: number;
  usage: number;
}

function tally(expected: Expected, events: readonly HistoryEvent[]): void {
  for (const e of events) {
    expected.streams.add(e.stream);
    if (e.type === 'AccountRegistered') expected.accounts.add(e.data.accountId as string);
    if (e.type === 'ApiKeyIssued') expected.apiKeys++;
    if (e.type === 'UsageRecorded') expected.usage++;
    const postings = readPostings(e.data);
    if (!postings) continue;
    expected.ledgerTransactions++;
    for (const p of postings) {
      expected.postings++;
      expected.byAccount.set(p.account, (expected.byAccount.get(p.account) ?? 0n) + BigInt(p.amountMicroUsd));
    }
  }
}

describe('rebuilding every read model from a large generated history', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  const expected: Expected = { byAccount: new Map(), ledgerTransactions: 0, postings: 0, streams: new Set(), accounts: new Set(), apiKeys: 0, usage: 0 };
  let generator: HistoryGenerator;

  beforeAll(async () => {
    database = await createTestDatabase('rebuild_history');
    store = new PostgresEventStore(database.pool, { pollIntervalMs: 50 });
    generator = new HistoryGenerator({
      events: EVENTS,
      seed: 7,
      vault: new PersonalDataVault(database.db),
      secrets: new Secrets('rebuild-spec'),
      passwordHash: await hashPassword('rebuild-spec-password'),
    });
    await writeHistory(database.pool, generator.chunks(), (chunk) => tally(expected, chunk));
    await resetReadModels(database.db, projectors, READ_MODELS_CHECKPOINT);
    await replay(database.db, store, projectors, { from: null, batchSize: REPLAY_BATCH_SIZE, checkpointName: READ_MODELS_CHECKPOINT });
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('generates a production-like mix, mostly usage charges, in the event store row format', async () => {
    const { rows } = await database.pool.query<{ n: string; streams: string; bad: string }>(
      `SELECT count(*) AS n, count(DISTINCT stream) AS streams,
              count(*) FILTER (WHERE revision <> rn - 1) AS bad
         FROM (SELECT stream, revision, row_number() OVER (PARTITION BY stream ORDER BY transaction_id, global_position) AS rn FROM events) e`,
    );
    expect(Number(rows[0].n)).toBe(generator.stats.events);
    expect(generator.stats.events).toBeGreaterThanOrEqual(EVENTS);
    expect(Number(rows[0].bad)).toBe(0); // every stream's revisions are 0, 1, 2, … in $all order
    expect(Number(rows[0].streams)).toBe(expected.streams.size);
    expect(expected.usage / generator.stats.events).toBeGreaterThan(0.9);
    expect(generator.stats.purchases).toBeGreaterThan(0);
    // Personal fields went through the vault: sealed in the events, never in clear.
    const { rows: leaks } = await database.pool.query(`SELECT 1 FROM events WHERE data::text LIKE '%@example.com%' LIMIT 1`);
    expect(leaks).toHaveLength(0);
    const vault = new PersonalDataVault(database.db);
    const { rows: sealed } = await database.pool.query<{ account_id: string; email_sealed: string }>('SELECT account_id, email_sealed FROM accounts ORDER BY account_id LIMIT 1');
    expect(await vault.open(sealed[0].account_id, sealed[0].email_sealed)).toMatch(/^(developer|provider)\d+@example\.com$/);
  });

  it('projections:verify finds no difference between the rebuilt read models and a second replay', async () => {
    const report = await verifyProjections(database.db, store, projectors, { checkpointName: READ_MODELS_CHECKPOINT, batchSize: REPLAY_BATCH_SIZE });
    expect(report.tables.filter((t) => t.onlyLive > 0 || t.onlyRebuilt > 0)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.eventsReplayed).toBe(generator.stats.events);
  }, 60_000);

  it('the ledger balances to zero and every account holds the sum of its postings in the events', async () => {
    const { rows: totals } = await database.pool.query<{ tx: string; postings: string; sum_postings: string; sum_balances: string; unbalanced: string }>(
      `SELECT (SELECT count(*) FROM ledger_transactions) AS tx, (SELECT count(*) FROM ledger_postings) AS postings,
              (SELECT sum(amount_micro_usd) FROM ledger_postings) AS sum_postings, (SELECT sum(balance_micro_usd) FROM ledger_balances) AS sum_balances,
              (SELECT count(*) FROM (SELECT tx_no FROM ledger_postings GROUP BY tx_no HAVING sum(amount_micro_usd) <> 0) u) AS unbalanced`,
    );
    expect(Number(totals[0].tx)).toBe(expected.ledgerTransactions);
    expect(Number(totals[0].postings)).toBe(expected.postings);
    expect(BigInt(totals[0].sum_postings)).toBe(0n);
    expect(BigInt(totals[0].sum_balances)).toBe(0n);
    expect(Number(totals[0].unbalanced)).toBe(0);

    const { rows: balances } = await database.pool.query<{ ledger_account: string; balance_micro_usd: string }>('SELECT ledger_account, balance_micro_usd FROM ledger_balances');
    expect(balances).toHaveLength(expected.byAccount.size);
    const wrong = balances.filter((b) => BigInt(b.balance_micro_usd) !== expected.byAccount.get(b.ledger_account));
    expect(wrong).toEqual([]);
    // Developers never overspend in this history: every developer account is credit-normal and not overdrawn.
    const developers = balances.filter((b) => b.ledger_account.startsWith('developer:'));
    expect(developers.length).toBeGreaterThan(10);
    expect(developers.filter((b) => BigInt(b.balance_micro_usd) > 0n)).toEqual([]);
    // The statement's running balance on the newest line of the developer holding the most credits
    // is its balance (credit-normal: the statement shows it positive).
    const richest = [...expected.byAccount.keys()].filter((a) => a.startsWith('developer:')).sort((a, b) => (expected.byAccount.get(a)! < expected.byAccount.get(b)! ? -1 : 1))[0];
    const statement = await new LedgerQueries(database.db).statement(richest, { limit: 1 });
    expect(BigInt(statement.items[0].balanceAfterMicroUsd)).toBe(-expected.byAccount.get(richest)!);
  });

  it('every other read model has one row per thing the events created', async () => {
    const count = async (table: string) => Number((await database.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
    expect(await count('stream_index')).toBe(expected.streams.size);
    expect(await count('accounts')).toBe(expected.accounts.size);
    expect(await count('api_keys')).toBe(expected.apiKeys);
    expect(await count('nodes')).toBe(generator.stats.nodes);
    expect(await count('payment_orders')).toBe(generator.stats.purchases);
    const { rows } = await database.pool.query<{ n: string }>(`SELECT sum(event_count) AS n FROM stream_index`);
    expect(Number(rows[0].n)).toBe(generator.stats.events);
  });
});
