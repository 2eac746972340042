/**
 * Credit-spending benchmark: prints figures, asserts nothing (not a jest suite).
 *
 *   npm run bench:ledger     # = ts-node --transpile-only test/bench/ledger.bench.ts
 *
 * Settings (env var / flag, all optional):
 *   BENCH_LEDGER_PAIRS / --pairs       reserve+settle pairs per Redis row (default 50,000)
 *   BENCH_LEDGER_CHARGED / --charged   fully recorded charges in the end-to-end row (default 3,000)
 *   TEST_DATABASE_SERVER, TEST_REDIS_URL  as for the tests
 *
 * Rows "redis": the two Lua calls of the hot path alone (reserve before routing, settle after),
 * one or many in flight, over one or four connections. Row "end to end": reserve → append the
 * UsageRecorded charge to the PostgreSQL event store → settle, through the app's services, then
 * how long the feeder takes to bring every charge into the Redis balances.
 */
import { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { AccountsService } from '../../src/accounts/accounts.service';
import { EVENT_STORE, EventStore, Position } from '../../src/platform/event-store/event-store.port';
import { CreditsService } from '../../src/ledger/credits.service';
import { BalanceFeeder } from '../../src/ledger/spending/balance-feeder';
import { CreditHolds } from '../../src/ledger/spending/credit-holds';
import { CreditSpending } from '../../src/ledger/spending/credit-spending';
import { positionKey } from '../../src/ledger/spending/position-key';
import { recordUsage } from '../../src/metering/usage-recorder';
import { startTestApp } from '../support/app';
import { createTestDatabase, TEST_REDIS_URL } from '../support/database';
import { Samples, Stopwatch, alignTable, fmtInt, intSetting, machineLine, msSince, now, pct, runMain, runWorkers, split } from './bench-helpers';
import { AGREED } from '../support/eligibility';

const log = (s: string) => process.stderr.write(`${s}\n`);
const ctx = () => ({ actorId: 'bench', occurredAt: new Date().toISOString() });

interface LedgerRow {
  benchmark: string;
  config: string;
  ops: number;
  ms: number;
  reserveP50: number;
  reserveP99: number;
  cpu: number;
  redisCpu: number | undefined;
  note: string;
}

async function redisCpuSeconds(redis: Redis): Promise<number | undefined> {
  const info = await redis.info('cpu').catch(() => '');
  const user = /used_cpu_user:([\d.]+)/.exec(info);
  const sys = /used_cpu_sys:([\d.]+)/.exec(info);
  return user && sys ? Number(user[1]) + Number(sys[1]) : undefined;
}

/** Reserve then settle `pairs` times on `workers` loops spread over the given connections. */
async function redisRow(clients: Redis[], workers: number, pairs: number, label: string): Promise<LedgerRow> {
  const prefix = `tg:bench-${randomUUID().slice(0, 8)}:`;
  const holds = clients.map((c) => new CreditHolds(c, prefix));
  await holds[0].storeFeederPosition(positionKey(null), false);
  const accounts = Array.from({ length: 100 }, () => randomUUID());
  for (const a of accounts) await holds[0].seed(a, 1_000_000_000_000n, positionKey(null));
  const reserve = new Samples();
  const budget = split(pairs, workers);
  const redisBefore = await redisCpuSeconds(clients[0]);
  const watch = new Stopwatch();
  let seq = 0;
  await runWorkers(workers, async (k) => {
    if (budget[k]-- <= 0) return false;
    const h = holds[k % holds.length];
    const account = accounts[(seq + k) % accounts.length];
    const id = `r${seq++}`;
    const t = now();
    await h.reserve(account, id, 2_000_000n);
    reserve.add(msSince(t));
    await h.settle(account, id, 1_234_567n, positionKey({ commit: BigInt(seq), prepare: 0n }));
    return true;
  });
  const ms = watch.elapsedMs();
  const redisAfter = await redisCpuSeconds(clients[0]);
  const keys = await clients[0].keys(`${prefix}*`);
  if (keys.length) await clients[0].del(...keys);
  return {
    benchmark: 'redis reserve+settle',
    config: label,
    ops: pairs,
    ms,
    reserveP50: reserve.percentile(50),
    reserveP99: reserve.percentile(99),
    cpu: watch.cpuShare(),
    redisCpu: redisBefore === undefined || redisAfter === undefined ? undefined : (redisAfter - redisBefore) / (ms / 1000),
    note: '',
  };
}

async function endToEndRow(app: INestApplication, charges: number, workers: number): Promise<LedgerRow> {
  const spending = app.get(CreditSpending);
  const store = app.get<EventStore>(EVENT_STORE);
  const accounts = await Promise.all(
    Array.from(
      { length: 20 },
      async (_, i) =>
        (
          await app
            .get(AccountsService)
            .register({ email: `bench${i}-${randomUUID()}@example.com`, password: 'correct horse battery', via: 'cli', eligibility: AGREED, roles: [] }, ctx())
        ).accountId,
    ),
  );
  let last: Position | null = null;
  for (const a of accounts) last = (await app.get(CreditsService).grant(a, 1_000_000n * 1_000_000n, 'bench', ctx())).position;
  await app.get(BalanceFeeder).waitUntilPassed(last as Position);
  const reserve = new Samples();
  const budget = split(charges, workers);
  const watch = new Stopwatch();
  let seq = 0;
  await runWorkers(workers, async (k) => {
    if (budget[k]-- <= 0) return false;
    const accountId = accounts[(seq + k) % accounts.length];
    const requestId = `req_${randomUUID().replace(/-/g, '')}`;
    seq++;
    const t = now();
    await spending.reserve(accountId, requestId, 2_000_000n);
    reserve.add(msSince(t));
    const { position } = await recordUsage(
      store,
      {
        type: 'RecordUsage',
        requestId,
        accountId,
        keyId: 'k',
        model: 'bench',
        endpoint: 'chat.completions',
        nodeId: 'node-prov',
        providerId: 'prov',
        status: 'completed',
        inputTokens: 100,
        outputTokens: 200,
        images: 0,
        estimated: false,
        ttftMs: 50,
        latencyMs: 400,
        costMicroUsd: 1_234n,
        providerShareBps: 7_000,
        at: new Date().toISOString(),
      },
      ctx(),
    );
    await spending.settle(accountId, requestId, 1_234n, position);
    if (!last || position.commit > last.commit || (position.commit === last.commit && position.prepare > last.prepare)) last = position;
    return true;
  });
  const ms = watch.elapsedMs();
  const cpu = watch.cpuShare();
  const feederStart = now();
  await app.get(BalanceFeeder).waitUntilPassed(last as Position);
  return {
    benchmark: 'end to end charge',
    config: `${workers} in flight, 20 accounts`,
    ops: charges,
    ms,
    reserveP50: reserve.percentile(50),
    reserveP99: reserve.percentile(99),
    cpu,
    redisCpu: undefined,
    note: `feeder caught up ${msSince(feederStart).toFixed(0)} ms after the last settle`,
  };
}

async function main(): Promise<void> {
  const pairs = intSetting('BENCH_LEDGER_PAIRS', 'pairs', 50_000);
  const charged = intSetting('BENCH_LEDGER_CHARGED', 'charged', 3_000);
  const clients = Array.from({ length: 4 }, () => new Redis(TEST_REDIS_URL));
  const database = await createTestDatabase('bench_ledger');
  const rows: LedgerRow[] = [];
  let app: INestApplication | null = null;
  try {
    log('ledger benchmark: Redis holds…');
    rows.push(await redisRow(clients.slice(0, 1), 1, Math.min(pairs, 20_000), '1 in flight, 1 connection'));
    rows.push(await redisRow(clients.slice(0, 1), 64, pairs, '64 in flight, 1 connection'));
    rows.push(await redisRow(clients, 64, pairs, '64 in flight, 4 connections'));
    log('ledger benchmark: end to end through PostgreSQL…');
    // Grants of $1,000,000 each: above the default four-eyes threshold (held for approval, so the
    // balance stayed 0 and the end-to-end row failed 402), which is not what is measured here.
    app = (await startTestApp(database.url, { security: { approvalThresholdMicroUsd: 10n ** 15n } })).app;
    rows.push(await endToEndRow(app, charged, 32));
  } finally {
    await app?.close();
    await database.drop();
    await Promise.all(clients.map((c) => c.quit()));
  }
  const header = ['benchmark', 'config', 'pairs', 'time s', 'pairs/s', 'reserve p50 ms', 'reserve p99 ms', 'node cpu', 'redis cpu', 'note'];
  const cells = rows.map((r) => [
    r.benchmark,
    r.config,
    fmtInt(r.ops),
    (r.ms / 1000).toFixed(2),
    fmtInt(r.ops / (r.ms / 1000)),
    r.reserveP50.toFixed(3),
    r.reserveP99.toFixed(3),
    pct(r.cpu),
    pct(r.redisCpu),
    r.note,
  ]);
  process.stdout.write(
    [
      '',
      'Credit spending benchmark (two-phase holds in Redis)',
      `${machineLine()}`,
      '',
      alignTable(header, cells, new Set([2, 3, 4, 5, 6, 7, 8])),
      '',
      'pairs = one reservation and its settlement. reserve p50/p99 = the round trip of one reservation (Lua script), measured in the client.',
      'end to end = reserve, append UsageRecorded (one PostgreSQL transaction per charge until group commit lands), settle.',
      '',
    ].join('\n'),
  );
}

runMain(main);
