/**
 * Event-store benchmark: prints figures, asserts nothing (not a jest suite).
 *
 *   npm run bench:events                      # = ts-node --transpile-only test/bench/events.bench.ts
 *   BENCH_EVENTS=100000 npm run bench:events  # scale the whole run (default 100,000 appended events)
 *   npm run bench:events -- --events=100000   # the same as a flag
 *   EVENTSTORE_CONNECTION_STRING='esdb://127.0.0.1:2113?tls=false' npm run bench:events
 *
 * Settings (env var / flag, all optional):
 *   BENCH_EVENTS / --events        events appended to PostgreSQL over all append benchmarks (default 100000);
 *                                  all of them are then read back and projected twice (catch-up, rebuild)
 *   BENCH_USERS / --users          users, i.e. streams per day: usage-{user}-{day} (default 1000)
 *   BENCH_SEQ_EVENTS / --seq       sequential single appends (default 4% of BENCH_EVENTS, at most 1000)
 *   BENCH_ESDB_EVENTS / --esdb-events  events for the EventStoreDB run (default BENCH_EVENTS / 3)
 *   BENCH_PROJECTIONS=0 / --projections=0  skip the projection catch-up and replay
 *   TEST_DATABASE_SERVER           PostgreSQL server (default postgres://postgres@127.0.0.1:5432)
 *
 * PostgreSQL runs against a fresh, migrated database (test/support/database.ts) dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Pool } from 'pg';
import { projectors } from '../../src/read-models';
import { createPool } from '../../src/platform/database/database';
import { EventStore, NewEvent, Position } from '../../src/platform/event-store/event-store.port';
import { PostgresEventStore } from '../../src/platform/event-store/postgres/postgres.event-store';
import { createLogger } from '../../src/platform/observability/logger';
import { READ_MODELS_CHECKPOINT } from '../../src/platform/projection-runtime/checkpoint';
import { ProjectionRunner } from '../../src/platform/projection-runtime/projection-runner';
import { replay, resetReadModels } from '../../src/platform/projection-runtime/replay';
import { createTestDatabase, TEST_DATABASE_SERVER, TestDatabase } from '../support/database';
import {
  BenchUser,
  Row,
  Samples,
  Stopwatch,
  fmtInt,
  intSetting,
  makeUsers,
  msSince,
  now,
  payloadSizes,
  renderTable,
  runMain,
  runWorkers,
  split,
  usageRecorded,
} from './bench-helpers';

// ---------------------------------------------------------------------------------------------
// Plan

interface Plan {
  users: number;
  seq: number;
  conc8: number;
  conc32: number;
  batch10: number;
  batch100: number;
  longStream: number;
}

function plan(total: number, users: number, seqOverride: number | null): Plan {
  const longStream = Math.min(1_000, Math.floor(total / 10));
  // Sequential appends wait for one WAL flush each (a few ms): a few hundred samples give a stable p99.
  const seq = seqOverride ?? Math.min(1_000, Math.round(total * 0.04));
  const conc8 = Math.round(total * 0.1);
  const conc32 = Math.round(total * 0.1);
  const batch10 = Math.round(total * 0.2);
  const batch100 = Math.max(0, total - longStream - seq - conc8 - conc32 - batch10);
  return { users, seq, conc8, conc32, batch10, batch100, longStream };
}

const planTotal = (p: Plan) => p.seq + p.conc8 + p.conc32 + p.batch10 + p.batch100 + p.longStream;

// ---------------------------------------------------------------------------------------------
// Store targets: the same benchmarks run against each adapter

interface OpenedStore {
  store: EventStore;
  close(): Promise<void>;
}

interface StoreTarget {
  name: string;
  /** A store able to serve `connections` requests at once (a pool of that size; ignored by gRPC). */
  open(connections: number): Promise<OpenedStore>;
  /** How concurrency is served, for the config column. */
  transport(connections: number): string;
  /** Releases what the target holds across benchmarks. */
  dispose?(): Promise<void>;
}

function postgresTarget(url: string, track: (close: () => Promise<void>) => () => void): StoreTarget {
  return {
    name: 'postgres',
    transport: (n) => `pool ${n}`,
    async open(connections) {
      const pool = createPool(url, connections);
      const store = new PostgresEventStore(pool, { pollIntervalMs: 100, ownsPool: true });
      const untrack = track(() => store.close());
      await warmPool(pool, connections);
      return {
        store,
        async close() {
          untrack();
          await store.close();
        },
      };
    },
  };
}

/** Opens every connection before timing starts, so connection setup is not measured. */
async function warmPool(pool: Pool, connections: number): Promise<void> {
  const clients = await Promise.all(Array.from({ length: connections }, () => pool.connect()));
  await Promise.all(clients.map((c) => c.query('SELECT 1')));
  clients.forEach((c) => c.release());
}

// ---------------------------------------------------------------------------------------------
// Store benchmarks

interface RunContext {
  runTag: string;
  users: BenchUser[];
  /** Last revision per stream, as this run appended them. */
  revisions: Map<string, bigint>;
  appended: number;
  read: number;
}

interface AppendSpec {
  benchmark: string;
  events: number;
  batch: number;
  workers: number;
  connections: number;
  day: string;
}

async function appendBenchmark(target: StoreTarget, ctx: RunContext, spec: AppendSpec): Promise<Row> {
  const opened = await target.open(spec.connections);
  try {
    const { store } = opened;
    // Worker k owns the users with index % workers === k: never two appends to one stream in flight.
    const owned = Array.from({ length: spec.workers }, (_, k) => ctx.users.filter((u) => u.index % spec.workers === k));
    const quota = split(spec.events, spec.workers);
    const cursor = new Array<number>(spec.workers).fill(0);
    const clock = Date.parse(`${spec.day}T00:00:00Z`);
    const latency = new Samples();
    let appended = 0;
    const sw = new Stopwatch();
    await runWorkers(spec.workers, async (k) => {
      if (quota[k] === 0) return false;
      const size = Math.min(spec.batch, quota[k]);
      quota[k] -= size;
      const user = owned[k][cursor[k]++ % owned[k].length];
      const stream = `usage-${user.userId}-${spec.day}`;
      const occurredAt = new Date(clock + appended * 10);
      const events: NewEvent[] = Array.from({ length: size }, () => usageRecorded(user, occurredAt));
      const expected = ctx.revisions.get(stream) ?? 'no_stream';
      const t0 = now();
      const result = await store.append(stream, events, expected);
      latency.add(msSince(t0));
      ctx.revisions.set(stream, result.nextExpectedRevision);
      appended += size;
      return true;
    });
    ctx.appended += appended;
    return measuredRow(
      target.name,
      spec.benchmark,
      `${spec.batch}/append, ${spec.workers} in flight, ${target.transport(spec.connections)}`,
      appended,
      sw,
      latency,
      spec.batch > 1 ? `${fmtInt(latency.count)} appends; latency per append` : undefined,
    );
  } finally {
    await opened.close();
  }
}

async function readAllBenchmark(target: StoreTarget, ctx: RunContext, from: Position | null): Promise<Row> {
  const opened = await target.open(1);
  try {
    const { store } = opened;
    let after = from ?? undefined;
    let events = 0;
    let pages = 0;
    const latency = new Samples();
    const sw = new Stopwatch();
    for (;;) {
      const t0 = now();
      const page = await store.readAll({ after, maxCount: 1_000 });
      latency.add(msSince(t0));
      pages++;
      events += page.length;
      if (page.length === 0) break;
      after = page[page.length - 1].position;
      if (page.length < 1_000) break;
    }
    ctx.read += events;
    return measuredRow(target.name, 'readAll', `pages of 1,000, sequential, ${target.transport(1)}`, events, sw, latency, `${pages} pages; latency per page`);
  } finally {
    await opened.close();
  }
}

/** A row from what a timed run measured: rate, latency percentiles, CPU of Node and (local) PostgreSQL. */
function measuredRow(store: string, benchmark: string, config: string, events: number, sw: Stopwatch, latency: Samples, note?: string): Row {
  const ms = sw.elapsedMs();
  return {
    store,
    benchmark,
    config,
    events,
    ms,
    rate: events / (ms / 1000),
    p50: latency.percentile(50),
    p99: latency.percentile(99),
    cpu: sw.cpuShare(),
    pgCpu: store === 'postgres' ? sw.pgCpuShare() : undefined,
    note,
  };
}

async function readStreamBenchmark(target: StoreTarget, ctx: RunContext, length: number): Promise<Row> {
  const opened = await target.open(1);
  try {
    const { store } = opened;
    const user = ctx.users[0];
    const stream = `usage-${user.userId}-long`;
    let revision: bigint | 'no_stream' = 'no_stream';
    for (let written = 0; written < length;) {
      const size = Math.min(100, length - written);
      const events = Array.from({ length: size }, () => usageRecorded(user, new Date(Date.UTC(2025, 5, 30))));
      revision = (await store.append(stream, events, revision)).nextExpectedRevision;
      written += size;
    }
    ctx.appended += length;
    await store.readStream(stream, { maxCount: length }); // warm-up, not measured
    const reps = 10;
    const latency = new Samples();
    let events = 0;
    const sw = new Stopwatch();
    for (let i = 0; i < reps; i++) {
      const t0 = now();
      const read = await store.readStream(stream, { maxCount: length });
      latency.add(msSince(t0));
      events += read.length;
    }
    ctx.read += events + length;
    return measuredRow(target.name, 'readStream', `${fmtInt(length)}-event stream, ${reps} reads`, events, sw, latency, 'latency per whole-stream read');
  } finally {
    await opened.close();
  }
}

async function storeBenchmarks(target: StoreTarget, ctx: RunContext, p: Plan, log: (s: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  ctx.revisions = new Map(); // stream names repeat across stores; revisions do not
  const headBefore = await (async () => {
    const opened = await target.open(1);
    try {
      return await opened.store.headPosition();
    } finally {
      await opened.close();
    }
  })();
  const specs: AppendSpec[] = [
    { benchmark: 'append single, sequential', events: p.seq, batch: 1, workers: 1, connections: 1, day: '2025-06-01' },
    { benchmark: 'append single, concurrent', events: p.conc8, batch: 1, workers: 8, connections: 8, day: '2025-06-02' },
    { benchmark: 'append single, concurrent', events: p.conc32, batch: 1, workers: 32, connections: 16, day: '2025-06-03' },
    { benchmark: 'append batch of 10', events: p.batch10, batch: 10, workers: 8, connections: 8, day: '2025-06-04' },
    { benchmark: 'append batch of 100', events: p.batch100, batch: 100, workers: 8, connections: 8, day: '2025-06-05' },
  ];
  for (const spec of specs) {
    if (spec.events === 0) continue;
    log(`  ${target.name}: ${spec.benchmark} (${fmtInt(spec.events)} events, ${spec.workers} in flight)…`);
    rows.push(await appendBenchmark(target, ctx, spec));
  }
  if (p.longStream > 0) {
    log(`  ${target.name}: readStream…`);
    rows.push(await readStreamBenchmark(target, ctx, p.longStream));
  }
  log(`  ${target.name}: readAll…`);
  rows.push(await readAllBenchmark(target, ctx, headBefore));
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Baselines: what one round trip and one durable commit cost on this server, without the store

async function baselineBenchmarks(url: string, track: (close: () => Promise<void>) => () => void): Promise<Row[]> {
  const pool = createPool(url, 1);
  const untrack = track(() => pool.end());
  try {
    await warmPool(pool, 1);
    await pool.query('CREATE TABLE IF NOT EXISTS bench_commit (id bigint GENERATED ALWAYS AS IDENTITY, body jsonb NOT NULL)');
    const body = JSON.stringify(usageRecorded(makeUsers(1, 'b')[0], new Date()).data);
    const measure = async (benchmark: string, config: string, n: number, op: () => Promise<unknown>, note: string): Promise<Row> => {
      for (let i = 0; i < 5; i++) await op(); // prepare the statement, warm the caches
      const latency = new Samples();
      const sw = new Stopwatch();
      for (let i = 0; i < n; i++) {
        const t0 = now();
        await op();
        latency.add(msSince(t0));
      }
      const ms = sw.elapsedMs();
      return {
        store: 'postgres',
        benchmark,
        config,
        events: n,
        ms,
        rate: n / (ms / 1000),
        p50: latency.percentile(50),
        p99: latency.percentile(99),
        cpu: sw.cpuShare(),
        pgCpu: sw.pgCpuShare(),
        note,
      };
    };
    return [
      await measure('baseline: round trip', 'SELECT 1, pool 1', 1_000, () => pool.query({ name: 'b_select', text: 'SELECT 1' }), 'queries, not events'),
      await measure(
        'baseline: durable commit',
        '1-row INSERT autocommit, pool 1',
        200,
        () => pool.query({ name: 'b_insert', text: 'INSERT INTO bench_commit (body) VALUES ($1)', values: [body] }),
        'commits (WAL flush each)',
      ),
    ];
  } finally {
    untrack();
    await pool.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Projections (PostgreSQL read models, fed from the PostgreSQL store)

const perEvent = (ms: number, events: number) => (events > 0 ? `${Math.round((ms * 1000) / events)} µs/event` : '');

async function projectionBenchmarks(database: TestDatabase, target: StoreTarget, track: (close: () => Promise<void>) => () => void, log: (s: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  const logger = createLogger('silent');
  const opened = await target.open(4);
  try {
    const { store } = opened;
    log('  postgres: projection catch-up…');
    const runner = new ProjectionRunner(database.db, database.pool, store, projectors, logger, { batchMax: 500 });
    const untrack = track(() => runner.stop());
    let sw = new Stopwatch();
    runner.start();
    await runner.waitUntilCaughtUp(600_000);
    let ms = sw.elapsedMs();
    const applied = runner.status().eventsApplied;
    rows.push({
      store: 'postgres',
      benchmark: 'projection catch-up',
      config: `ProjectionRunner, batchMax 500, ${projectors.length} projector(s)`,
      events: applied,
      ms,
      rate: applied / (ms / 1000),
      cpu: sw.cpuShare(),
      pgCpu: sw.pgCpuShare(),
      note: `start() → waitUntilCaughtUp(); ${perEvent(ms, applied)}`,
    });
    untrack();
    await runner.stop();

    log('  postgres: projection rebuild (resetReadModels + replay)…');
    sw = new Stopwatch();
    const t0 = now();
    await resetReadModels(database.db, projectors, READ_MODELS_CHECKPOINT);
    const resetMs = msSince(t0);
    const result = await replay(database.db, store, projectors, { from: null, batchSize: 500, checkpointName: READ_MODELS_CHECKPOINT });
    ms = sw.elapsedMs();
    rows.push({
      store: 'postgres',
      benchmark: 'projection rebuild',
      config: 'resetReadModels + replay, batchSize 500',
      events: result.events,
      ms,
      rate: result.events / (ms / 1000),
      cpu: sw.cpuShare(),
      pgCpu: sw.pgCpuShare(),
      note: `reset ${resetMs.toFixed(0)} ms; ${perEvent(ms, result.events)}`,
    });
  } finally {
    await opened.close();
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// EventStoreDB (optional; the adapter is imported lazily so this file runs without it)

interface EsdbModule {
  EventStoreDbEventStore?: { fromConnectionString?: (connectionString: string) => EventStore };
}

async function eventStoreDbTarget(connectionString: string): Promise<StoreTarget | string> {
  // A computed specifier: neither tsc nor ts-node resolves it until this branch runs.
  const specifier = '../../src/platform/event-store/eventstoredb/eventstoredb.event-store';
  let mod: EsdbModule;
  try {
    mod = (await import(specifier)) as EsdbModule;
  } catch (err) {
    return `cannot load the EventStoreDB adapter (${(err as Error).message.split('\n')[0]})`;
  }
  const factory = mod.EventStoreDbEventStore?.fromConnectionString;
  if (typeof factory !== 'function') return 'the EventStoreDB adapter has no EventStoreDbEventStore.fromConnectionString';
  // One client (one HTTP/2 connection, requests multiplexed) serves every benchmark.
  const store = factory.call(mod.EventStoreDbEventStore, connectionString);
  try {
    await store.ping();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return {
    name: 'eventstoredb',
    transport: () => 'gRPC client',
    async open() {
      return { store, close: async () => undefined };
    },
    dispose: () => store.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// Main

async function serverSettings(pool: Pool): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of ['server_version', 'synchronous_commit', 'fsync', 'shared_buffers', 'wal_level', 'max_wal_size']) {
    const { rows } = await pool.query<Record<string, string>>(`SHOW ${name}`);
    out[name] = rows[0][name];
  }
  return out;
}

async function storageFigures(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ events: string; heap: string; total: string }>(
    `SELECT (SELECT count(*) FROM events)::text AS events,
            pg_table_size('events')::text AS heap, pg_total_relation_size('events')::text AS total`,
  );
  const events = Number(rows[0].events);
  const mb = (b: string) => (Number(b) / 1024 / 1024).toFixed(1);
  const per = (b: string) => (events > 0 ? Math.round(Number(b) / events) : 0);
  return `events table: ${fmtInt(events)} rows, heap ${mb(rows[0].heap)} MB (${per(rows[0].heap)} B/event), with indexes ${mb(rows[0].total)} MB (${per(rows[0].total)} B/event)`;
}

async function main(): Promise<number> {
  const started = now();
  const total = intSetting('BENCH_EVENTS', 'events', 100_000);
  const users = Math.max(1, intSetting('BENCH_USERS', 'users', 1_000));
  const pgPlan = plan(total, users, intSetting('BENCH_SEQ_EVENTS', 'seq', null));
  const esdbTotal = intSetting('BENCH_ESDB_EVENTS', 'esdb-events', Math.round(total / 3));
  const withProjections = intSetting('BENCH_PROJECTIONS', 'projections', 1) !== 0;
  const log = (s: string) => process.stderr.write(`${s}\n`);

  const cleanups: (() => Promise<void>)[] = [];
  const track = (close: () => Promise<void>) => {
    cleanups.push(close);
    return () => {
      const i = cleanups.indexOf(close);
      if (i >= 0) cleanups.splice(i, 1);
    };
  };
  let cleaning: Promise<void> | null = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const close of cleanups.splice(0).reverse()) {
        await close().catch((err) => log(`cleanup: ${(err as Error).message}`));
      }
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    log(`\n${signal}: cleaning up…`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const rows: Row[] = [];
  const notes: string[] = [];
  const sizes = payloadSizes();
  const runTag = randomBytes(3).toString('hex');
  const ctx: RunContext = { runTag, users: makeUsers(users, runTag), revisions: new Map(), appended: 0, read: 0 };
  let projected = 0;
  let machine = '';
  let storage = '';

  try {
    log(`event-store benchmark: ${fmtInt(planTotal(pgPlan))} events into a fresh PostgreSQL database…`);
    const setup = now();
    const database = await createTestDatabase('bench_events');
    track(() => database.drop());
    const setupMs = msSince(setup);
    const settings = await serverSettings(database.pool);
    const cpus = os.cpus();
    machine =
      `machine: ${cpus.length} cpu(s) ${cpus[0]?.model.trim() ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `${os.platform()} ${os.release()}, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} | node ${process.version} | ` +
      `PostgreSQL ${settings.server_version} synchronous_commit=${settings.synchronous_commit} fsync=${settings.fsync} ` +
      `shared_buffers=${settings.shared_buffers}`;

    log('  postgres: baselines…');
    rows.push(...(await baselineBenchmarks(database.url, track)));
    const pg = postgresTarget(database.url, track);
    rows.push(...(await storeBenchmarks(pg, ctx, pgPlan, log)));
    storage = await storageFigures(database.pool);

    if (withProjections) {
      const projection = await projectionBenchmarks(database, pg, track, log);
      projected = projection.reduce((n, r) => n + r.events, 0);
      rows.push(...projection);
    } else {
      notes.push('projection benchmarks skipped (BENCH_PROJECTIONS=0)');
    }
    notes.push(`fresh database created and migrated in ${setupMs.toFixed(0)} ms`);

    const esdbConnection = process.env.EVENTSTORE_CONNECTION_STRING;
    if (!esdbConnection) {
      notes.push(
        'eventstoredb: skipped — EVENTSTORE_CONNECTION_STRING is not set (set it, e.g. esdb://127.0.0.1:2113?tls=false, to run the same store benchmarks against EventStoreDB)',
      );
    } else if (esdbTotal === 0) {
      notes.push('eventstoredb: skipped — BENCH_ESDB_EVENTS=0');
    } else {
      log('  eventstoredb: connecting…');
      const esdb = await eventStoreDbTarget(esdbConnection).catch((err: Error) => `cannot reach EventStoreDB (${err.message.split('\n')[0]})`);
      if (typeof esdb === 'string') {
        notes.push(`eventstoredb: skipped — ${esdb}`);
      } else {
        if (esdb.dispose) track(esdb.dispose);
        rows.push(...(await storeBenchmarks(esdb, ctx, plan(esdbTotal, users, null), log)));
      }
    }
  } finally {
    const t0 = now();
    await cleanup();
    log(`cleaned up in ${msSince(t0).toFixed(0)} ms`);
  }

  const wallS = msSince(started) / 1000;
  const argv = process.argv.slice(2).join(' ');
  const env = Object.entries(process.env)
    .filter(([k]) => k.startsWith('BENCH_') || k === 'TEST_DATABASE_SERVER' || k === 'EVENTSTORE_CONNECTION_STRING')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const out = [
    '',
    'Event store benchmark',
    machine,
    `payload: UsageRecorded, data ≈ ${sizes.data} B JSON, metadata ≈ ${sizes.metadata} B JSON; streams usage-{user}-{day}, ${fmtInt(users)} users`,
    '',
    renderTable(rows),
    '',
    `total: ${fmtInt(ctx.appended + ctx.read + projected)} events overall = ${fmtInt(ctx.appended)} appended + ${fmtInt(ctx.read)} read + ${fmtInt(projected)} projected; wall ${wallS.toFixed(1)} s; load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    storage,
    ...notes,
    'node cpu / pg cpu: CPU time of this process / of every local postgres process (server-wide) as a share of wall time; 100% = one core.',
    '',
    'commands:',
    `  ${env ? `${env} ` : ''}npm run bench:events${argv ? ` -- ${argv}` : ''}`,
    '  (= ts-node --transpile-only test/bench/events.bench.ts; PostgreSQL at ' + TEST_DATABASE_SERVER + ')',
    '',
  ];
  process.stdout.write(out.join('\n'));
  return 0;
}

runMain(main);
