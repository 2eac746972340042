/**
 * Metering benchmark: prints figures, asserts nothing (not a jest suite).
 *
 *   npm run bench:metering     # = ts-node --transpile-only test/bench/metering.bench.ts
 *
 * Stores real UsageRecorded charges (decided by usageChargeDecider, ≈ 700 bytes with postings)
 * in the PostgreSQL event store, with 1, 64 and 256 requests in flight, three ways:
 *   single  = recordUsage: one append, one transaction per charge (pool of DATABASE_POOL_MAX's default, 10)
 *   batcher = UsageBatcher.record: group commit, one appendToStreams transaction per batch (default limits)
 *   batcher + intent = what a streamed /v1 request does: its durable intent (UsageIntents.open,
 *            group-committed, not waited for) alongside its charge (UsageBatcher.record), then the
 *            intent's deletion, which rides along with the next intents statement
 * Latency is that of one record() call as a request sees it (waiting for its batch included).
 *
 * Settings (env var / flag, all optional):
 *   BENCH_METERING_RECORDS / --records   charges per row with 64 or 256 in flight (default 20,000; single rows use a quarter)
 *   BENCH_METERING_SEQ / --seq           charges per row with 1 in flight (default 1,000)
 *   BENCH_METERING_ACCOUNTS / --accounts accounts, i.e. usage streams per day (default 1,000)
 *   TEST_DATABASE_SERVER                 as for the tests
 */
import { randomUUID } from 'node:crypto';
import { createPool } from '../../src/platform/database/database';
import { PostgresEventStore } from '../../src/platform/event-store/postgres/postgres.event-store';
import { RecordUsage } from '../../src/metering/usage-charge.decide';
import { UsageBatcher } from '../../src/metering/usage-batcher';
import { recordUsage } from '../../src/metering/usage-recorder';
import { UsageIntents } from '../../src/metering/usage-intents';
import { createTestDatabase } from '../support/database';
import { Samples, Stopwatch, alignTable, fmtInt, fmtMs, intSetting, machineLine, msSince, now, pct, runMain, runWorkers, split } from './bench-helpers';

const log = (s: string) => process.stderr.write(`${s}\n`);
const POOL = 10;
const BATCH_MAX = 500;
const QUEUE_MAX = 10_000;

interface MeteringRow {
  mode: string;
  inFlight: number;
  records: number;
  ms: number;
  p50: number;
  p99: number;
  transactions: number;
  cpu: number;
  pgCpu: number | undefined;
}

type Record = (command: RecordUsage) => Promise<unknown>;

function charge(accountId: string, seq: number): RecordUsage {
  return {
    type: 'RecordUsage',
    requestId: `req_${randomUUID().replace(/-/g, '')}`,
    accountId,
    keyId: `key_${accountId.slice(-6)}`,
    model: 'meta-llama/Llama-3.3-70B-Instruct',
    endpoint: 'chat.completions',
    nodeId: `node_${seq % 40}`,
    providerId: `prov_${seq % 20}`,
    status: 'completed',
    inputTokens: 200 + (seq % 3_800),
    outputTokens: 20 + (seq % 1_200),
    images: 0,
    estimated: false,
    ttftMs: 80 + (seq % 300),
    latencyMs: 400 + (seq % 2_000),
    costMicroUsd: BigInt(1_000 + (seq % 50_000)),
    providerShareBps: 7_000,
    at: new Date().toISOString(),
  };
}

async function run(mode: string, record: Record, transactions: () => number, accounts: string[], inFlight: number, records: number): Promise<MeteringRow> {
  const latency = new Samples();
  const budget = split(records, inFlight);
  const before = transactions();
  let seq = 0;
  const sw = new Stopwatch();
  await runWorkers(inFlight, async (k) => {
    if (budget[k]-- <= 0) return false;
    const n = seq++;
    const t = now();
    await record(charge(accounts[(n * 7919) % accounts.length], n));
    latency.add(msSince(t));
    return true;
  });
  const ms = sw.elapsedMs();
  return {
    mode,
    inFlight,
    records,
    ms,
    p50: latency.percentile(50),
    p99: latency.percentile(99),
    transactions: transactions() - before,
    cpu: sw.cpuShare(),
    pgCpu: sw.pgCpuShare(),
  };
}

async function main(): Promise<void> {
  const records = intSetting('BENCH_METERING_RECORDS', 'records', 20_000);
  const seqRecords = intSetting('BENCH_METERING_SEQ', 'seq', 1_000);
  const accountCount = intSetting('BENCH_METERING_ACCOUNTS', 'accounts', 1_000);
  const database = await createTestDatabase('bench_metering');
  const pool = createPool(database.url, POOL);
  const store = new PostgresEventStore(pool, { pollIntervalMs: 100, ownsPool: true });
  const accounts = Array.from({ length: accountCount }, (_, i) => `acc${i.toString(36).padStart(4, '0')}${randomUUID().slice(0, 6)}`);
  const ctx = { actorId: 'system:metering', occurredAt: new Date().toISOString() };
  const rows: MeteringRow[] = [];
  try {
    // Open every connection before timing.
    const clients = await Promise.all(Array.from({ length: POOL }, () => pool.connect()));
    clients.forEach((c) => c.release());

    let singles = 0;
    const single: Record = async (command) => {
      singles++;
      return recordUsage(store, command, ctx);
    };
    const batcher = new UsageBatcher(store, { maxBatch: BATCH_MAX, maxQueue: QUEUE_MAX });
    const batched: Record = (command) => batcher.record(command, ctx);
    const intents = new UsageIntents(pool, { maxBatch: BATCH_MAX, maxQueue: QUEUE_MAX });
    // As the gateway does: the intent is written while the charge is (not waited for), and deleted once both are stored.
    const withIntent: Record = async (command) => {
      const openedAt = new Date();
      const opened = intents.open({ command, context: ctx, discrepancies: [] }, openedAt, new Date(openedAt.getTime() + 660_000));
      await batcher.record(command, ctx);
      void opened.then((stored) => stored && intents.close(command.requestId));
    };

    for (const inFlight of [1, 64, 256]) {
      const n = inFlight === 1 ? seqRecords : Math.max(inFlight, Math.round(records / 4));
      log(`metering benchmark: single appends, ${inFlight} in flight, ${fmtInt(n)} charges…`);
      rows.push(await run('single append', single, () => singles, accounts, inFlight, n));
      const m = inFlight === 1 ? seqRecords : records;
      log(`metering benchmark: batcher, ${inFlight} in flight, ${fmtInt(m)} charges…`);
      rows.push(await run('batcher', batched, () => batcher.stats().batches, accounts, inFlight, m));
      log(`metering benchmark: batcher + intent, ${inFlight} in flight, ${fmtInt(m)} charges…`);
      rows.push(await run('batcher + intent', withIntent, () => batcher.stats().batches + intents.stats().statements, accounts, inFlight, m));
    }
    await batcher.stop();
    await intents.flush();
  } finally {
    await store.close();
    await database.drop();
  }

  const header = ['mode', 'in flight', 'records', 'time s', 'records/s', 'p50 ms', 'p99 ms', 'transactions', 'per txn', 'node cpu', 'pg cpu'];
  const cells = rows.map((r) => [
    r.mode,
    String(r.inFlight),
    fmtInt(r.records),
    (r.ms / 1000).toFixed(2),
    fmtInt(r.records / (r.ms / 1000)),
    fmtMs(r.p50),
    fmtMs(r.p99),
    fmtInt(r.transactions),
    (r.records / r.transactions).toFixed(1),
    pct(r.cpu),
    pct(r.pgCpu),
  ]);
  process.stdout.write(
    [
      '',
      'Metering benchmark (UsageRecorded charges into the PostgreSQL event store)',
      `${machineLine()}`,
      `pool ${POOL}; batcher: USAGE_BATCH_MAX ${BATCH_MAX}, USAGE_QUEUE_MAX ${fmtInt(QUEUE_MAX)}; ${fmtInt(accountCount)} accounts (usage streams)`,
      '',
      alignTable(header, cells, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])),
      '',
      'p50/p99 = one record() call as the request sees it, waiting for its batch included. per txn = charges per transaction (for batcher + intent: event-store batches and intents statements together).',
      '',
    ].join('\n'),
  );
}

runMain(main);
