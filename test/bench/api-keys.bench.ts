/**
 * API-key hot-path benchmark: prints figures, asserts nothing (not a jest suite).
 *
 *   npm run bench:keys     # = ts-node --transpile-only test/bench/api-keys.bench.ts
 *
 * Settings (env var / flag, all optional):
 *   BENCH_KEY_CHECKS / --checks   cached checks per hit benchmark (default 1,000,000)
 *   BENCH_KEY_MISSES / --misses   lookups per miss benchmark (default 2,000)
 *   BENCH_KEYS / --keys           real keys issued (default 200; 50 per account)
 *   TEST_DATABASE_SERVER, TEST_REDIS_URL  as for the tests
 *
 * Runs the real application (role "all") against a fresh database, issues keys through
 * ApiKeysService, and drives the framework-free ApiKeyAuthenticator directly: the figures are the
 * key check alone, without HTTP. The 100k-key rows use a lookup that invents records (only the
 * in-memory structures are measured there: how a full cache behaves and what it weighs).
 */
import { INestApplication } from '@nestjs/common';
import { hash, randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Redis from 'ioredis';
import { Kysely } from 'kysely';
import { Pool } from 'pg';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeyAuthenticator, AuthenticatorOptions, KeyCheck, KeyRefusal } from '../../src/api-keys/api-key-authenticator';
import { createApiKeyAuthenticator } from '../../src/api-keys/api-key-auth.module';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { KeyLookup, KeyRecord } from '../../src/api-keys/key-lookup';
import { lastUsedWriter } from '../../src/api-keys/key-usage';
import { KYSELY, PG_POOL } from '../../src/platform/database/database.module';
import { Database } from '../../src/platform/database/schema';
import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { createLogger } from '../../src/platform/observability/logger';
import { PROJECTION_RUNNER } from '../../src/platform/projection-runtime/projection-runtime.module';
import { ProjectionRunner } from '../../src/platform/projection-runtime/projection-runner';
import { REDIS } from '../../src/platform/redis/redis.module';
import { startTestApp } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { Samples, Stopwatch, alignTable, fmtInt, intSetting, machineLine, pct, runMain, runWorkers } from './bench-helpers';
import { AGREED } from '../support/eligibility';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const log = (s: string) => process.stderr.write(`${s}\n`);
const ctx = () => ({ actorId: 'bench', occurredAt: new Date().toISOString() });

interface KeyRow {
  benchmark: string;
  config: string;
  ops: number;
  ms: number;
  /** Per-operation latency samples in ms (may be empty for throughput-only rows). */
  latency?: Samples;
  cpu?: number;
  pgCpu?: number;
  note?: string;
}

interface Env {
  app: INestApplication;
  pool: Pool;
  db: Kysely<Database>;
  store: EventStore;
  redis: Redis;
  keys: ApiKeysService;
  headers: string[];
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** Runs `op` `n` times: first untimed (throughput, CPU), then `sampled` times timed one by one. */
function measureSync(benchmark: string, config: string, n: number, op: (i: number) => unknown, note?: string): KeyRow {
  for (let i = 0; i < Math.min(n, 50_000); i++) op(i); // warm up: let V8 optimise
  gc();
  const sw = new Stopwatch();
  for (let i = 0; i < n; i++) op(i);
  const ms = sw.elapsedMs();
  const cpu = sw.cpuShare();
  const sampled = Math.min(n, 200_000);
  const latency = new Samples();
  for (let i = 0; i < sampled; i++) {
    const t0 = performance.now();
    op(i);
    latency.add(performance.now() - t0);
  }
  return { benchmark, config, ops: n, ms, latency, cpu, note };
}

async function measureAsync(benchmark: string, config: string, n: number, inFlight: number, op: (i: number) => Promise<unknown>, note?: string): Promise<KeyRow> {
  for (let i = 0; i < Math.min(50, n); i++) await op(i);
  const latency = new Samples();
  let next = 0;
  const sw = new Stopwatch();
  await runWorkers(inFlight, async () => {
    const i = next++;
    if (i >= n) return false;
    const t0 = performance.now();
    await op(i);
    latency.add(performance.now() - t0);
    return true;
  });
  return { benchmark, config, ops: n, ms: sw.elapsedMs(), latency, cpu: sw.cpuShare(), pgCpu: sw.pgCpuShare(), note };
}

/** The timer's own cost per sample, to read the sub-microsecond rows. */
function timerOverheadNs(): number {
  const samples = new Samples();
  for (let i = 0; i < 200_000; i++) {
    const t0 = performance.now();
    samples.add(performance.now() - t0);
  }
  return samples.percentile(50) * 1e6;
}

function expectAdmitted(check: KeyCheck | Promise<KeyCheck>): void {
  if (check instanceof Promise || check instanceof KeyRefusal) throw new Error(`expected a cached admission, got ${check instanceof Promise ? 'a promise (miss)' : check.code}`);
}

// ---------------------------------------------------------------------------------------------
// Setup

async function setup(keyCount: number, track: (close: () => Promise<unknown>) => void): Promise<Env> {
  const database: TestDatabase = await createTestDatabase('bench_keys');
  track(() => database.drop());
  const { app } = await startTestApp(database.url);
  track(() => app.close());
  const accounts = app.get(AccountsService);
  const keys = app.get(ApiKeysService);
  const headers: string[] = [];
  for (let account = 0; headers.length < keyCount; account++) {
    const { accountId } = await accounts.register({ email: `bench${account}@example.com`, password: 'bench bench bench', via: 'password', eligibility: AGREED }, ctx());
    for (let k = 0; k < 50 && headers.length < keyCount; k++) {
      const issued = await keys.issue(accountId, { name: `bench-${k}`, limits: { requestsPerMinute: 600, tokensPerMinute: 100_000 } }, ctx());
      headers.push(`Bearer ${issued.key}`);
    }
  }
  await app.get<ProjectionRunner>(PROJECTION_RUNNER).waitUntilCaughtUp(60_000);
  return { app, pool: app.get(PG_POOL), db: app.get(KYSELY), store: app.get(EVENT_STORE), redis: app.get(REDIS), keys, headers };
}

async function authenticatorFor(
  env: Env,
  track: (close: () => Promise<unknown>) => void,
  options: Partial<AuthenticatorOptions> = {},
  lookup?: KeyLookup,
): Promise<ApiKeyAuthenticator> {
  const deps = { pool: env.pool, db: env.db, store: env.store, redis: env.redis, hashKey: (k: string) => env.keys.hashKey(k), logger: createLogger('silent') };
  const auth = lookup
    ? new ApiKeyAuthenticator(
        {
          lookup,
          hashKey: deps.hashKey,
          writeLastUsed: lastUsedWriter(env.db),
          subscriber: env.redis.duplicate({ lazyConnect: true, autoResubscribe: false, enableOfflineQueue: false }),
          logger: deps.logger,
        },
        options,
      )
    : createApiKeyAuthenticator(deps, options);
  track(() => auth.close());
  auth.start();
  const deadline = Date.now() + 5_000;
  while (!auth.status().listening) {
    if (Date.now() > deadline) throw new Error('the authenticator did not subscribe within 5 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  return auth;
}

/** Invents a record for any key: measures the in-memory side at full size, no I/O. */
const inventedLookup: KeyLookup = {
  async find(keyHash, keyId): Promise<KeyRecord> {
    return {
      keyId,
      accountId: `acct-${keyHash.slice(0, 8)}`,
      expiresAtMs: null,
      requestsPerMinute: 600,
      tokensPerMinute: 100_000,
      revoked: false,
      suspendedMarker: false,
      suspendedInReadModel: false,
      restrictedMarker: false,
      restrictedInReadModel: false,
    };
  },
};

/** Flat strings (join, not +=), as a header parsed off a socket is: a rope would be flattened during the measurement. */
function randomHeaders(n: number): string[] {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const pick = (len: number) => Array.from(randomBytes(len), (b) => alphabet[b % 62]).join('');
  return Array.from({ length: n }, () => ['Bearer tg_live_', pick(12), '_', pick(32)].join(''));
}

// ---------------------------------------------------------------------------------------------
// Benchmarks

async function run(env: Env, checks: number, misses: number, track: (close: () => Promise<unknown>) => void): Promise<{ rows: KeyRow[]; notes: string[] }> {
  const rows: KeyRow[] = [];
  const notes: string[] = [];
  const tokens = env.headers.map((h) => h.slice(7));
  const n = env.headers.length;

  log('  primitives…');
  rows.push(measureSync('HMAC-SHA-256 of a key', 'Secrets.hash (createHmac), hex', 500_000, (i) => env.keys.hashKey(tokens[i % n]), 'what a miss computes to find the key'));
  rows.push(measureSync('SHA-256 of a key', 'crypto.hash one-shot, base64', 500_000, (i) => hash('sha256', tokens[i % n], 'base64'), 'the cache key, computed on every check'));

  log('  cached hits…');
  const auth = await authenticatorFor(env, track);
  for (const h of env.headers) await auth.authenticate(h);
  expectAdmitted(auth.authenticate(env.headers[0]));
  rows.push(
    measureSync(
      'cached hit',
      `authenticate(), ${fmtInt(n)} keys warm`,
      checks,
      (i) => auth.authenticate(env.headers[i % n]),
      'sync: parse, SHA-256, Map.get, expiry, last-used stamp',
    ),
  );

  const big = 100_000;
  const invented = await authenticatorFor(env, track, { cacheCapacity: big, positiveTtlMs: 600_000, refreshAfterMs: 590_000, usageFlushIntervalMs: 3_600_000 }, inventedLookup);
  const bigHeaders = randomHeaders(big);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < big; i += 1_000) await Promise.all(bigHeaders.slice(i, i + 1_000).map((h) => invented.authenticate(h)));
  await invented.flushUsage(); // empties the pending list, as the periodic flush would (writes invented ids to this scratch database)
  gc();
  const bytesPerKey = (process.memoryUsage().heapUsed - heapBefore) / big;
  expectAdmitted(invented.authenticate(bigHeaders[0]));
  rows.push(
    measureSync(
      'cached hit',
      `authenticate(), ${fmtInt(big)} keys warm`,
      checks,
      (i) => invented.authenticate(bigHeaders[(i * 7_919) % big]),
      'full cache, keys visited in scattered order',
    ),
  );
  notes.push(
    `memory: ${fmtInt(bytesPerKey)} bytes of heap per cached key (entry, frozen key object, digest, hash and account indexes) → ${((bytesPerKey * big) / 2 ** 20).toFixed(0)} MiB at ${fmtInt(big)} keys`,
  );
  const refused = randomHeaders(1_000);
  for (const h of refused) await auth.authenticate(h);
  rows.push(measureSync('cached refusal', 'unknown key, remembered', checks, (i) => auth.authenticate(refused[i % 1_000]), 'a client retrying a bad key costs no I/O'));
  rows.push(measureSync('refusal before lookup', 'malformed key', checks, () => auth.authenticate('Bearer sk-not-a-tollgate-key'), 'format check only'));

  log('  miss path…');
  const hashes = tokens.map((t) => env.keys.hashKey(t));
  rows.push(
    await measureAsync('miss part: PostgreSQL', 'api_keys ⋈ accounts by key_hash, prepared, 1 in flight', misses, 1, (i) =>
      env.pool.query({
        name: 'bench_key_by_hash',
        text: 'SELECT k.key_id, a.status FROM api_keys k LEFT JOIN accounts a ON a.account_id = k.account_id WHERE k.key_hash = $1',
        values: [hashes[i % n]],
      }),
    ),
  );
  rows.push(
    await measureAsync('miss part: Redis', 'MGET revoked + suspended, 1 in flight', misses, 1, (i) =>
      env.redis.mget(`tollgate:apikeys:revoked:{a:x}:${hashes[i % n]}`, 'tollgate:accounts:suspended:{a:x}'),
    ),
  );
  // Entries live 2 ms, and a key comes round again only after n others: every check is a miss.
  const cold = await authenticatorFor(env, track, { positiveTtlMs: 2, refreshAfterMs: 1, degradedTtlMs: 1, suspendedTtlMs: 1 });
  const checkMiss = async (i: number) => {
    const c = await cold.authenticate(env.headers[i % n]);
    if (c instanceof KeyRefusal) throw new Error(`miss refused: ${c.code}`);
  };
  const lookupsBefore = cold.status().lookups;
  rows.push(await measureAsync('miss', 'authenticate(): HMAC + PostgreSQL + MGET, 1 in flight', misses, 1, checkMiss));
  rows.push(await measureAsync('miss', 'authenticate(), 8 in flight (distinct keys)', misses * 4, 8, checkMiss));
  const lookups = cold.status().lookups - lookupsBefore;
  notes.push(`miss rows: ${fmtInt(lookups)} lookups for ${fmtInt(misses * 5 + 100)} checks (warm-up included) — every check missed`);
  const unknown = randomHeaders(misses);
  rows.push(
    await measureAsync(
      'miss, unknown key',
      'read model miss + apikey-{id} stream read, 1 in flight',
      misses,
      1,
      async (i) => {
        if ((await cold.authenticate(unknown[i])) !== (await cold.authenticate(unknown[i]))) throw new Error('unstable refusal');
      },
      'a random well-formed key (then answered from memory)',
    ),
  );
  return { rows, notes };
}

// ---------------------------------------------------------------------------------------------
// Output

function render(rows: KeyRow[]): string {
  const us = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '-' : (ms * 1000).toFixed(ms * 1000 >= 100 ? 0 : 2));
  const header = ['benchmark', 'config', 'ops', 'time s', 'ops/s', 'mean µs', 'p50 µs', 'p99 µs', 'node cpu', 'pg cpu', 'note'];
  const cells = rows.map((r) => [
    r.benchmark,
    r.config,
    fmtInt(r.ops),
    (r.ms / 1000).toFixed(2),
    fmtInt(r.ops / (r.ms / 1000)),
    us(r.ms / r.ops),
    us(r.latency?.percentile(50)),
    us(r.latency?.percentile(99)),
    pct(r.cpu),
    pct(r.pgCpu),
    r.note ?? '',
  ]);
  return alignTable(header, cells, new Set([2, 3, 4, 5, 6, 7, 8, 9]));
}

async function main(): Promise<void> {
  const checks = intSetting('BENCH_KEY_CHECKS', 'checks', 1_000_000);
  const misses = Math.max(100, intSetting('BENCH_KEY_MISSES', 'misses', 2_000));
  const keyCount = Math.max(1, intSetting('BENCH_KEYS', 'keys', 200));
  const cleanups: (() => Promise<unknown>)[] = [];
  const track = (close: () => Promise<unknown>) => void cleanups.push(close);
  let result: { rows: KeyRow[]; notes: string[] };
  let timerNs = 0;
  try {
    log(`api-key benchmark: issuing ${keyCount} keys into a fresh database…`);
    const env = await setup(keyCount, track);
    timerNs = timerOverheadNs();
    result = await run(env, checks, misses, track);
  } finally {
    for (const close of cleanups.reverse()) await close().catch((err: Error) => log(`cleanup: ${err.message}`));
  }
  process.stdout.write(
    [
      '',
      'API-key hot path benchmark',
      `${machineLine()}`,
      '',
      render(result.rows),
      '',
      ...result.notes,
      `mean µs = wall time / ops in an untimed loop (one core); p50/p99 = per-op timing with performance.now(), which itself adds ≈ ${timerNs.toFixed(0)} ns per sample.`,
      'node cpu / pg cpu: CPU time of this process / of every local postgres process, as a share of wall time; 100% = one core.',
      '',
    ].join('\n'),
  );
}

runMain(main);
