/**
 * Rebuild benchmark: prints figures, asserts nothing (not a jest suite).
 *
 *   npm run bench:rebuild                       # 1,000,000 events (≈ 2–4 min on 2 cores)
 *   npm run bench:rebuild -- --events=200000    # or BENCH_EVENTS=200000
 *
 * 1. Generates a realistic history (test/support/history: real deciders, sealed personal data,
 *    mostly UsageRecorded charges) and bulk-writes it into a fresh, migrated database's events table.
 * 2. Rebuilds every read model in projections/index.ts from scratch, exactly as
 *    `npm run projections:rebuild` does (resetReadModels + replay, same page size), timing the
 *    $all reads, each projector and the rest of each batch's transaction.
 * 3. Runs the check of `npm run projections:verify` (verifyProjections: a second replay into a
 *    scratch schema, compared row by row) and prints ok or the differences.
 *
 * Settings (env var / flag): BENCH_EVENTS / --events (1000000), BENCH_SEED / --seed (42),
 * BENCH_BATCH / --batch (REPLAY_BATCH_SIZE), BENCH_VERIFY=0 / --verify=0 to skip step 3,
 * TEST_DATABASE_SERVER (postgres://postgres@127.0.0.1:5432). The database is dropped at the end.
 */
import os from 'node:os';
import { projectors } from '../../src/read-models';
import { hashPassword } from '../../src/accounts/password';
import { EventStore } from '../../src/platform/event-store/event-store.port';
import { PostgresEventStore } from '../../src/platform/event-store/postgres/postgres.event-store';
import { PersonalDataVault } from '../../src/platform/personal-data/personal-data.vault';
import { READ_MODELS_CHECKPOINT } from '../../src/platform/projection-runtime/checkpoint';
import { Projector } from '../../src/platform/projection-runtime/projector';
import { REPLAY_BATCH_SIZE, replay, resetReadModels } from '../../src/platform/projection-runtime/replay';
import { verifyProjections } from '../../src/platform/projection-runtime/verify';
import { Secrets } from '../../src/platform/security/secrets';
import { createTestDatabase, TestDatabase } from '../support/database';
import { HistoryGenerator } from '../support/history/history.generator';
import { writeHistory } from '../support/history/history.writer';
import { Stopwatch, alignTable, fmtInt, intSetting, msSince, now, pct, runMain } from './bench-helpers';
import { ownBackendsCpuSnapshot, postgresCpuSeconds } from './proc-cpu';

const log = (s: string) => process.stderr.write(`${s}\n`);

/** Time spent inside each projector's apply(), summed over all batches. */
function timed(projector: Projector, spent: Map<string, number>): Projector {
  return {
    name: projector.name,
    tables: projector.tables,
    async apply(trx, events) {
      const t0 = now();
      try {
        await projector.apply(trx, events);
      } finally {
        spent.set(projector.name, (spent.get(projector.name) ?? 0) + msSince(t0));
      }
    },
  };
}

/**
 * The same store, noting when each readAll (the replay's read path) returns. replay() reads the
 * next page while it applies the current one, so what a read costs the rebuild is only the time
 * spent waiting for it after the previous batch was applied (see readWaitMs).
 */
function timedReads(store: EventStore, readEnds: number[]): EventStore {
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (prop === 'readAll') {
        return async (...args: Parameters<EventStore['readAll']>) => {
          try {
            return await target.readAll(...args);
          } finally {
            readEnds.push(performance.now());
          }
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Page k is awaited right after batch k-1 was applied: the wait is how much later it arrived. */
function readWaitMs(startedAt: number, readEnds: readonly number[], appliedAt: readonly number[]): number {
  let wait = 0;
  readEnds.forEach((end, k) => (wait += Math.max(0, end - (k === 0 ? startedAt : (appliedAt[k - 1] ?? end)))));
  return wait;
}

/** Peak heap, sampled; peak RSS comes from the kernel (resourceUsage().maxRSS). */
function heapSampler(): { peakMb(): number; stop(): void } {
  let peak = 0;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().heapUsed));
  const timer = setInterval(sample, 100);
  return { peakMb: () => (sample(), peak / 2 ** 20), stop: () => clearInterval(timer) };
}

/**
 * CPU seconds of this process and of this database's own PostgreSQL backends over a phase: unlike
 * wall time, not inflated when other work shares the machine.
 */
async function cpuMeter(database: TestDatabase): Promise<() => Promise<{ nodeS: number; pgS: number | undefined }>> {
  const pg0 = await ownBackendsCpuSnapshot(database.pool);
  const node0 = process.cpuUsage();
  return async () => {
    const node = process.cpuUsage(node0);
    return { nodeS: (node.user + node.system) / 1e6, pgS: postgresCpuSeconds(pg0, await ownBackendsCpuSnapshot(database.pool)) };
  };
}

const cpuNote = (c: { nodeS: number; pgS: number | undefined }, events: number) =>
  c.pgS === undefined
    ? `node ${c.nodeS.toFixed(1)} s CPU`
    : `CPU: node ${c.nodeS.toFixed(1)} s + own PostgreSQL backends ${c.pgS.toFixed(1)} s = ${((1e6 * (c.nodeS + c.pgS)) / Math.max(1, events)).toFixed(0)} µs/event`;

async function sizes(database: TestDatabase): Promise<{ events: number; eventsMb: number; readModelsMb: number }> {
  const tables = [...new Set(projectors.flatMap((p) => p.tables))];
  const { rows } = await database.pool.query<{ events: string; events_bytes: string; rm_bytes: string }>(
    `SELECT (SELECT count(*) FROM events)::text AS events, pg_total_relation_size('events')::text AS events_bytes,
            (SELECT coalesce(sum(pg_total_relation_size(t::regclass)), 0) FROM unnest($1::text[]) t)::text AS rm_bytes`,
    [tables],
  );
  return { events: Number(rows[0].events), eventsMb: Number(rows[0].events_bytes) / 2 ** 20, readModelsMb: Number(rows[0].rm_bytes) / 2 ** 20 };
}

async function main(): Promise<void> {
  const total = intSetting('BENCH_EVENTS', 'events', 1_000_000);
  const seed = intSetting('BENCH_SEED', 'seed', 42);
  const batchSize = intSetting('BENCH_BATCH', 'batch', REPLAY_BATCH_SIZE);
  const withVerify = intSetting('BENCH_VERIFY', 'verify', 1) !== 0;
  const heap = heapSampler();
  const loadBefore = os.loadavg();
  const started = now();
  const database = await createTestDatabase('bench_rebuild');
  let dropping: Promise<void> | null = null;
  const drop = () => (dropping ??= database.drop());
  process.once('SIGINT', () => void drop().finally(() => process.exit(130)));
  const store = new PostgresEventStore(database.pool, { pollIntervalMs: 100 });
  const lines: string[] = [];
  try {
    // 1. Generate and write.
    log(`generating ${fmtInt(total)} events (seed ${seed})…`);
    const generator = new HistoryGenerator({
      events: total,
      seed,
      vault: new PersonalDataVault(database.db),
      secrets: new Secrets('bench-rebuild-secret'),
      passwordHash: await hashPassword('bench-password-1'),
    });
    let sw = new Stopwatch();
    let cpu = await cpuMeter(database);
    let reported = 0;
    const written = await writeHistory(database.pool, generator.chunks(), () => {
      if (generator.stats.events - reported >= 100_000) {
        reported = generator.stats.events;
        log(`  ${fmtInt(reported)} events written (${fmtInt(reported / (sw.elapsedMs() / 1000))}/s)`);
      }
    });
    const genMs = sw.elapsedMs();
    const genCpu = [sw.cpuShare(), sw.pgCpuShare()];
    const genOwn = await cpu();
    const stored = await sizes(database);
    const stats = generator.stats;

    // 2. Rebuild, as projections:rebuild does.
    log(`rebuilding ${projectors.length} projector(s): ${projectors.map((p) => p.name).join(', ')}…`);
    const spent = new Map<string, number>();
    const readEnds: number[] = [];
    const appliedAt: number[] = [];
    const instrumented = projectors.map((p) => timed(p, spent));
    // Open the pool's connections first, so the rebuild's backends are all there to be measured.
    await Promise.all(Array.from({ length: 4 }, () => database.pool.query('SELECT 1')));
    sw = new Stopwatch();
    cpu = await cpuMeter(database);
    const t0 = now();
    await resetReadModels(database.db, instrumented, READ_MODELS_CHECKPOINT);
    const resetMs = msSince(t0);
    const replayStartedAt = performance.now();
    let progress = 0;
    const rebuilt = await replay(database.db, timedReads(store, readEnds), instrumented, {
      from: null,
      batchSize,
      checkpointName: READ_MODELS_CHECKPOINT,
      onProgress: (n) => {
        appliedAt.push(performance.now());
        if (n - progress >= 100_000) {
          progress = n;
          log(`  ${fmtInt(n)} replayed (${fmtInt(n / (sw.elapsedMs() / 1000))}/s)`);
        }
      },
    });
    const rebuildMs = sw.elapsedMs();
    const rebuildCpu = [sw.cpuShare(), sw.pgCpuShare()];
    const rebuildOwn = await cpu();
    const afterRebuild = await sizes(database);

    // 3. Verify, as projections:verify does.
    let verifyLines: string[] = ['verify: skipped (BENCH_VERIFY=0)'];
    if (withVerify) {
      log('verifying (a second replay into a scratch schema, compared row by row)…');
      sw = new Stopwatch();
      const report = await verifyProjections(database.db, store, projectors, { checkpointName: READ_MODELS_CHECKPOINT, batchSize });
      const verifyMs = sw.elapsedMs();
      verifyLines = [
        `verify: ${report.ok ? 'OK — no difference' : 'DIFFERENCES FOUND'}; ${fmtInt(report.eventsReplayed)} events replayed and ${report.tables.length} tables compared in ${(verifyMs / 1000).toFixed(1)} s`,
        alignTable(
          ['table', 'live rows', 'rebuilt rows', 'only live', 'only rebuilt'],
          report.tables.map((t) => [t.table, fmtInt(t.liveRows), fmtInt(t.rebuiltRows), fmtInt(t.onlyLive), fmtInt(t.onlyRebuilt)]),
          new Set([1, 2, 3, 4]),
        ),
        ...report.tables.flatMap((t) => t.samples.map((s) => `  ${t.table} (${s.side}): ${JSON.stringify(s.row)}`)),
      ];
    }

    // Report.
    const cpus = os.cpus();
    const projected = [...spent.values()].reduce((a, b) => a + b, 0);
    const readWait = readWaitMs(replayStartedAt, readEnds, appliedAt);
    const rest = rebuildMs - resetMs - readWait - projected;
    const row = (name: string, ms: number, note = '') => [name, (ms / 1000).toFixed(2), pct(ms / rebuildMs), `${((ms * 1000) / Math.max(1, rebuilt.events)).toFixed(1)}`, note];
    const mix = [...stats.byType.entries()].sort((a, b) => b[1] - a[1]).map(([type, n]) => `${type} ${((n * 100) / stats.events).toFixed(n * 100 < stats.events ? 2 : 1)}%`);
    lines.push(
      '',
      'Rebuild benchmark',
      `machine: ${cpus.length} cpu(s) ${cpus[0]?.model.trim() ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; load before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
      `history: ${fmtInt(stats.events)} events, ${fmtInt(stats.accounts)} accounts (${stats.providers} providers, ${stats.nodes} nodes), ${fmtInt(stats.apiKeys)} API keys, ${fmtInt(stats.purchases)} top-ups; seed ${seed}`,
      `mix: ${mix.join(', ')}`,
      `generate + write: ${(genMs / 1000).toFixed(1)} s = ${fmtInt(written.events / (genMs / 1000))} events/s (node ${pct(genCpu[0])}, pg ${pct(genCpu[1])}); events table ${stored.eventsMb.toFixed(0)} MB with indexes; ${cpuNote(genOwn, written.events)}`,
      '',
      `REBUILD: ${fmtInt(rebuilt.events)} events in ${(rebuildMs / 1000).toFixed(1)} s = ${fmtInt(rebuilt.events / (rebuildMs / 1000))} events/s (page ${fmtInt(batchSize)}; node ${pct(rebuildCpu[0])}, pg ${pct(rebuildCpu[1])}); read models ${afterRebuild.readModelsMb.toFixed(0)} MB`,
      `  ${cpuNote(rebuildOwn, rebuilt.events)} (node / pg percentages above are of wall time; pg there is server-wide)`,
      alignTable(
        ['part', 'time s', 'share', 'µs/event', 'note'],
        [
          row('reset (truncate)', resetMs),
          row('waiting for $all pages', readWait, 'readAll runs while the previous batch is applied; this is what it adds'),
          ...projectors.map((p) => row(`projector ${p.name}`, spent.get(p.name) ?? 0, p.tables.join(', '))),
          row('batch transaction rest', rest, 'begin, checkpoint check/write, commit'),
        ],
        new Set([1, 2, 3]),
      ),
      '',
      ...verifyLines,
      '',
      `memory: peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB, peak heap ${heap.peakMb().toFixed(0)} MB (this process; PostgreSQL not included)`,
      `total wall ${(msSince(started) / 1000).toFixed(1)} s`,
      `command: npm run bench:rebuild -- --events=${total} --seed=${seed} --batch=${batchSize}${withVerify ? '' : ' --verify=0'}`,
      '',
    );
  } finally {
    heap.stop();
    await store.close();
    await drop();
  }
  process.stdout.write(lines.join('\n'));
}

runMain(main);
