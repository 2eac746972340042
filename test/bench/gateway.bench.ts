/**
 * What the gateway adds to a streamed request, under an open-loop load (prints figures, asserts
 * only that charging stayed exactly once; not a jest suite):
 *
 *   npm run bench:gateway      # builds, then ts-node --transpile-only test/bench/gateway.bench.ts
 *
 * Settings: BENCH_GATEWAY_RATES / --rates (req/s, default 50,150,300,500,1000), BENCH_GATEWAY_SECONDS /
 * --seconds (measured per run, default 10; plus 2 s of warm-up), BENCH_GATEWAY_CHUNKS / --chunks (content
 * events per stream, default 20), BENCH_GATEWAY_PIN / --pin (default "gw=1,rest=0": the API process
 * alone on CPU 1, everything else on CPU 0; "none" to share every core).
 *
 * Three processes of its own besides the load: an upstream stand-in (test/bench/gateway/mock-upstream.ts),
 * and Tollgate built (dist/) as production runs it, an API process (`main.js api`) and a worker
 * (`main.js worker`: projections, the balance feeder, sweeps), on a fresh database provisioned here
 * (a developer with credits and a key, a node whose endpoint is the stand-in, a price). Per rate, the
 * same load (test/bench/gateway/open-loop.ts: fixed send times, latency from the scheduled time) goes
 * straight to the stand-in, then through Tollgate; "added" is Tollgate's percentile minus the direct
 * one. CPU per request is the API process's CPU time over the run (/proc) divided by the requests
 * it served; PostgreSQL and Redis are server-wide (other clients count too). After the runs, the
 * events table must hold exactly one UsageRecorded per request Tollgate completed.
 * BENCH_GATEWAY_TOLLGATE_DIR runs another checkout's dist/ (built, same database schema) for a before/after.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { TEST_NODE_CIDRS } from '../support/app';
import { provisionGateway } from './gateway/provision';
import { createTestDatabase, TEST_REDIS_URL } from '../support/database';
import { freePort } from '../support/net';
import { alignTable, machineLine } from './bench-helpers';

const ROOT = join(__dirname, '..', '..');
const MODEL = 'bench/mock-model';
const log = (s: string) => process.stderr.write(`[bench:gateway] ${s}\n`);

function setting(env: string, flag: string, fallback: string): string {
  const i = process.argv.indexOf(`--${flag}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? process.env[env] ?? fallback;
}

interface LoadResult {
  sent: number;
  ok: number;
  errors: number;
  okPerSecond: number;
  ttfb: { p50: number | null; p99: number | null };
  total: { p50: number | null; p99: number | null };
}

/** utime + stime ticks of one process, or of every process with this command name. */
function cpuTicks(pid: number | null, comm?: string): number {
  const read = (p: string): number => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (comm && stat.slice(stat.indexOf('(') + 1, close) !== comm) return 0;
      const f = stat.slice(close + 2).split(' ');
      return Number(f[11]) + Number(f[12]);
    } catch {
      return 0;
    }
  };
  if (pid !== null) return read(String(pid));
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .reduce((n, p) => n + read(p), 0);
}

const TICK_MS = 1000 / 100; // USER_HZ

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

function pinned(cpus: string | undefined, argv: string[]): string[] {
  return cpus === undefined ? argv : ['taskset', '-c', cpus, ...argv];
}

function tsNode(script: string, args: string[]): string[] {
  return [process.execPath, '-r', 'ts-node/register/transpile-only', join(__dirname, 'gateway', script), ...args];
}

async function runLoad(cpus: string | undefined, settings: object): Promise<LoadResult> {
  const [cmd, ...args] = pinned(cpus, tsNode('open-loop.ts', [JSON.stringify(settings)]));
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await once(child, 'exit');
  return JSON.parse(out.trim().split('\n').pop() as string) as LoadResult;
}

async function waitFor(url: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const res = await request(url);
      await res.body.dump();
      if (res.statusCode < 500) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not come up`);
    await sleep(200);
  }
}

function stop(child: ChildProcess | null): Promise<unknown> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  return Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
}

const ms = (v: number | null) => (v === null ? '–' : v.toFixed(1));
const added = (g: number | null, d: number | null) => (g === null || d === null ? '–' : (g - d).toFixed(1));

async function main(): Promise<void> {
  const rates = setting('BENCH_GATEWAY_RATES', 'rates', '50,150,300,500,1000')
    .split(',')
    .map(Number)
    .filter((r) => r > 0);
  const seconds = Number(setting('BENCH_GATEWAY_SECONDS', 'seconds', '10'));
  const chunks = Number(setting('BENCH_GATEWAY_CHUNKS', 'chunks', '20'));
  const pin = setting('BENCH_GATEWAY_PIN', 'pin', os.cpus().length >= 2 ? 'gw=1,rest=0' : 'none');
  const cpu = pin === 'none' ? {} : Object.fromEntries(pin.split(',').map((kv) => kv.split('=') as [string, string]));
  const db = await createTestDatabase('bench_gateway');
  const prefix = `tg:${new URL(db.url).pathname.slice(1)}:`;
  const children: ChildProcess[] = [];
  const rows: string[][] = [];
  try {
    const upstreamPort = await freePort();
    const [upCmd, ...upArgs] = pinned(cpu.rest, tsNode('mock-upstream.ts', [String(upstreamPort), String(chunks)]));
    const upstream = spawn(upCmd, upArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(upstream);
    await once(upstream.stdout as NodeJS.ReadableStream, 'data');
    const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;

    log('provisioning a developer, a node on the upstream stand-in and a price…');
    const { key, nodeToken } = await provisionGateway(db.url, prefix, upstreamUrl, MODEL);

    const port = await freePort();
    const env = {
      ...process.env,
      // development: production accepts https nodes only, and the stand-in is plain http on loopback.
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      NODE_ALLOWED_CIDRS: TEST_NODE_CIDRS,
      NODE_HEARTBEAT_TTL_MS: '600000',
      PROBE_INTERVAL_MS: '0',
      MAIL_DIR: join(os.tmpdir(), 'tollgate-bench-mail'),
      RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
      RATE_LIMIT_TOKENS_PER_MINUTE: '1000000000',
      ACCOUNT_RATE_LIMIT_REQUESTS_PER_MINUTE: '10000000',
      ACCOUNT_RATE_LIMIT_TOKENS_PER_MINUTE: '10000000000',
      ACCOUNT_MAX_CONCURRENT_STREAMS: '100000',
    };
    const main = join(process.env.BENCH_GATEWAY_TOLLGATE_DIR ?? ROOT, 'dist', 'src', 'main.js');
    const [apiCmd, ...apiArgs] = pinned(cpu.gw, [process.execPath, ...(process.env.BENCH_GATEWAY_NODE_FLAGS ?? '').split(' ').filter(Boolean), main, 'api']);
    const api = spawn(apiCmd, apiArgs, { cwd: ROOT, env: { ...env, PORT: String(port), METRICS_PORT: String(await freePort()) }, stdio: ['ignore', 'inherit', 'inherit'] });
    children.push(api);
    const [wCmd, ...wArgs] = pinned(cpu.rest, [process.execPath, main, 'worker']);
    children.push(
      spawn(wCmd, wArgs, { cwd: ROOT, env: { ...env, PORT: String(await freePort()), METRICS_PORT: String(await freePort()) }, stdio: ['ignore', 'inherit', 'inherit'] }),
    );
    const gateway = `http://127.0.0.1:${port}`;
    await waitFor(`${gateway}/health/ready`, 60_000);
    // One heartbeat keeps the node live for NODE_HEARTBEAT_TTL_MS (10 minutes): no agent process to measure around.
    const hb = await request(`${gateway}/nodes/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${nodeToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ models: [MODEL], inFlight: 0, queueDepth: 0 }),
    });
    await hb.body.dump();
    if (hb.statusCode >= 300) throw new Error(`heartbeat refused: ${hb.statusCode}`);

    const body = JSON.stringify({ model: MODEL, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 64 });
    const load = (url: string, headers: Record<string, string>, rate: number, secs: number) =>
      runLoad(cpu.rest, { url, headers: { 'content-type': 'application/json', ...headers }, body, rate, seconds: secs, warmupSeconds: 2, maxInFlight: 2_000, timeoutMs: 30_000 });
    const direct = `${upstreamUrl}/v1/chat/completions`;
    const through = `${gateway}/v1/chat/completions`;
    const auth = { authorization: `Bearer ${key}` };
    log('warming up…');
    await load(through, auth, Math.min(...rates), 5);
    let completed = 0;
    for (const rate of rates) {
      const d = await load(direct, {}, rate, seconds);
      const api0 = cpuTicks(api.pid as number);
      const pg0 = cpuTicks(null, 'postgres');
      const redis0 = cpuTicks(null, 'redis-server');
      const g = await load(through, auth, rate, seconds);
      const requests = Math.round(rate * (seconds + 2));
      const perReq = (ticks: number) => ((ticks * TICK_MS) / requests).toFixed(2);
      completed += g.ok;
      rows.push([
        String(rate),
        `${ms(d.total.p50)} / ${ms(d.total.p99)}`,
        `${ms(g.total.p50)} / ${ms(g.total.p99)}`,
        `${added(g.ttfb.p50, d.ttfb.p50)} / ${added(g.ttfb.p99, d.ttfb.p99)}`,
        `${added(g.total.p50, d.total.p50)} / ${added(g.total.p99, d.total.p99)}`,
        `${d.errors} / ${g.errors}`,
        String(g.okPerSecond),
        perReq(cpuTicks(api.pid as number) - api0),
        perReq(cpuTicks(null, 'postgres') - pg0 + cpuTicks(null, 'redis-server') - redis0),
        String(rssMb(api.pid as number)),
      ]);
      log(`${rate} req/s done: ${JSON.stringify(g)}`);
    }
    await sleep(1_000);
    const { rows: recorded } = await db.pool.query<{ n: string; requests: string }>(
      `SELECT count(*) AS n, count(DISTINCT data->>'requestId') AS requests FROM events WHERE event_type = 'UsageRecorded'`,
    );
    process.stdout.write(
      [
        '',
        `bench:gateway: streamed chat completions (${chunks} content events + usage), ${seconds} s per run after 2 s of warm-up, open loop`,
        `${machineLine()}, pin ${pin}; Tollgate: API process + worker process, metering and charging on`,
        '',
        alignTable(
          [
            'req/s',
            'direct total p50 / p99',
            'gw total p50 / p99',
            'added TTFB p50 / p99',
            'added total p50 / p99',
            'errors direct / gw',
            'gw ok/s',
            'API cpu ms/req',
            'pg+redis cpu ms/req',
            'API rss MB',
          ],
          rows,
          new Set([0, 6, 7, 8, 9]),
        ),
        '',
        `UsageRecorded events: ${recorded[0].n} for ${recorded[0].requests} request ids (duplicates: ${Number(recorded[0].n) - Number(recorded[0].requests)}); measured completions: ${completed} (warm-ups are charged too, so at most the events).`,
        'Latency in ms from each request\'s scheduled send time; "added" = Tollgate\'s percentile minus the direct one. pg+redis CPU is server-wide.',
        '',
      ].join('\n'),
    );
    if (Number(recorded[0].n) !== Number(recorded[0].requests) || completed > Number(recorded[0].n)) process.exitCode = 1;
  } finally {
    for (const c of children.reverse()) await stop(c);
    await db.drop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:gateway failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
