/**
 * Helpers for the event-store benchmark (test/bench/events.bench.ts): timing, percentiles,
 * realistic payloads, a bounded-concurrency driver and a plain-text table.
 * Not a jest suite: nothing here asserts anything.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { EventMetadata, JsonObject, NewEvent } from '../../src/platform/event-store/event-store.port';
import { postgresCpuSeconds, postgresCpuSnapshot } from './proc-cpu';
import os from 'node:os';

// ---------------------------------------------------------------------------------------------
// Timing

export const now = (): bigint => process.hrtime.bigint();
export const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

/** Wall time, this process's CPU time and the local PostgreSQL's CPU time over one measured section. */
export class Stopwatch {
  private readonly startPg = postgresCpuSnapshot();
  private readonly startCpu = process.cpuUsage();
  private readonly startWall = now();

  /** Elapsed wall-clock milliseconds. */
  elapsedMs(): number {
    return msSince(this.startWall);
  }

  /** Node's CPU time as a share of wall time (1.0 = one core busy all along). */
  cpuShare(): number {
    const cpu = process.cpuUsage(this.startCpu);
    const wallUs = this.elapsedMs() * 1000;
    return wallUs > 0 ? (cpu.user + cpu.system) / wallUs : 0;
  }

  /** The local PostgreSQL server's CPU time as a share of wall time; undefined when not visible. */
  pgCpuShare(): number | undefined {
    const wallS = this.elapsedMs() / 1000;
    const seconds = postgresCpuSeconds(this.startPg, postgresCpuSnapshot());
    return seconds === undefined || wallS <= 0 ? undefined : seconds / wallS;
  }
}

/** Latency samples in milliseconds. */
export class Samples {
  private values: number[] = [];

  add(ms: number): void {
    this.values.push(ms);
  }

  get count(): number {
    return this.values.length;
  }

  /** Nearest-rank percentile, p in (0, 100]. NaN when empty. */
  percentile(p: number): number {
    if (this.values.length === 0) return Number.NaN;
    const sorted = Float64Array.from(this.values).sort();
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
    return sorted[rank - 1];
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration

/** A non-negative integer from a `--flag=value` / `--flag value` flag or the environment, else `fallback`. */
export function intSetting<F extends number | null>(envName: string, flag: string, fallback: F, argv = process.argv.slice(2)): number | F {
  let raw: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === `--${flag}`) raw = argv[i + 1];
    else if (a.startsWith(`--${flag}=`)) raw = a.slice(flag.length + 3);
  }
  raw ??= process.env[envName];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < 0) throw new Error(`${envName} / --${flag} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Payloads

const MODELS = ['meta-llama/Llama-3.3-70B-Instruct', 'mistralai/Mixtral-8x22B-Instruct-v0.1', 'Qwen/Qwen2.5-72B-Instruct-Turbo', 'deepseek-ai/DeepSeek-V3-0324'];
const FINISH = ['stop', 'stop', 'stop', 'length'];

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** Fixed-point decimal string with `scale` digits after the point, from an integer number of units. */
function decimal(units: bigint, scale: number): string {
  const s = units.toString().padStart(scale + 1, '0');
  return `${s.slice(0, -scale)}.${s.slice(-scale)}`;
}

/** Per-user ids, stable for a run, so payloads look like the same users over and over. */
export interface BenchUser {
  index: number;
  userId: string;
  apiKeyId: string;
}

export function makeUsers(count: number, runTag: string): BenchUser[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    userId: `usr${runTag}${index.toString(36).padStart(3, '0')}`,
    apiKeyId: `key_${hex(8)}`,
  }));
}

/**
 * A UsageRecorded-like event: ids, model, token counts, money as decimal strings, never prompt
 * text. The data serialises to about 420 bytes of JSON (see payloadSizes()).
 */
export function usageRecorded(user: BenchUser, occurredAt: Date): NewEvent {
  const promptTokens = 200 + Math.floor(Math.random() * 3800);
  const completionTokens = 20 + Math.floor(Math.random() * 1200);
  const inPerMTok = 590_000n; // 0.590000 credits per million input tokens (scale 6)
  const outPerMTok = 790_000n;
  // cost = tokens * price / 1e6; with prices at scale 6, tokens * price units is the cost at scale 12.
  const costUnits = BigInt(promptTokens) * inPerMTok + BigInt(completionTokens) * outPerMTok;
  const payoutUnits = (costUnits * 85n) / 100n;
  const usageId = randomUUID();
  const data: JsonObject = {
    usageId,
    requestId: `req_${hex(12)}`,
    userId: user.userId,
    apiKeyId: user.apiKeyId,
    providerId: `prv_${hex(6)}`,
    model: MODELS[user.index % MODELS.length],
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    cost: decimal(costUnits, 12),
    providerPayout: decimal(payoutUnits, 12),
    finishReason: FINISH[promptTokens % FINISH.length],
    latencyMs: 150 + (completionTokens % 2000),
    occurredAt: occurredAt.toISOString(),
  };
  const metadata: EventMetadata = {
    correlationId: data.requestId as string,
    causationId: randomUUID(),
    actorId: user.userId,
    occurredAt: occurredAt.toISOString(),
  };
  return { id: randomUUID(), type: 'UsageRecorded', data, metadata };
}

/** Average JSON sizes of `n` sample payloads (data, metadata), in bytes. */
export function payloadSizes(n = 200): { data: number; metadata: number } {
  const users = makeUsers(8, 'x');
  let data = 0;
  let metadata = 0;
  for (let i = 0; i < n; i++) {
    const e = usageRecorded(users[i % users.length], new Date());
    data += Buffer.byteLength(JSON.stringify(e.data));
    metadata += Buffer.byteLength(JSON.stringify(e.metadata));
  }
  return { data: Math.round(data / n), metadata: Math.round(metadata / n) };
}

// ---------------------------------------------------------------------------------------------
// Driving load

/**
 * Runs `workers` loops concurrently; loop k calls `step(k)` until it returns false.
 * Each loop has at most one call in flight, so `workers` is the number of requests in flight.
 */
export async function runWorkers(workers: number, step: (worker: number) => Promise<boolean>): Promise<void> {
  await Promise.all(
    Array.from({ length: workers }, async (_, k) => {
      while (await step(k));
    }),
  );
}

/** Splits `total` into `parts` near-equal non-negative integers. */
export function split(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Output

export interface Row {
  store: string;
  benchmark: string;
  config: string;
  events: number;
  ms: number;
  /** Events (or, for readStream, events read) per second. */
  rate: number;
  p50?: number;
  p99?: number;
  /** Node CPU share of wall time. */
  cpu?: number;
  /** Local PostgreSQL CPU share of wall time (server-wide). */
  pgCpu?: number;
  note?: string;
}

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
}

export function fmtMs(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

export function renderTable(rows: Row[]): string {
  const header = ['store', 'benchmark', 'config', 'events', 'time s', 'events/s', 'p50 ms', 'p99 ms', 'node cpu', 'pg cpu', 'note'];
  const right = new Set([3, 4, 5, 6, 7, 8, 9]);
  const cells = rows.map((r) => [
    r.store,
    r.benchmark,
    r.config,
    fmtInt(r.events),
    (r.ms / 1000).toFixed(2),
    fmtInt(r.rate),
    fmtMs(r.p50),
    fmtMs(r.p99),
    pct(r.cpu),
    pct(r.pgCpu),
    r.note ?? '',
  ]);
  return alignTable(header, cells, right);
}

export const pct = (v: number | undefined) => (v === undefined ? '-' : `${Math.round(v * 100)}%`);

/** Columns padded to their widest cell; the `right` columns (numbers) right-aligned. */
export function alignTable(header: string[], cells: string[][], right: Set<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (right.has(i) ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** The machine a figure was measured on: CPUs, node and the load average now (every benchmark prints it). */
export function machineLine(): string {
  const cpus = os.cpus();
  return `machine: ${cpus.length} cpu(s) ${cpus[0]?.model.trim() ?? '?'}, node ${process.version}, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

/** Runs a benchmark's main: exits with its code (0 when it returns nothing), or 1 with the stack when it fails. */
export function runMain(main: () => Promise<number | void>): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (err) => {
      process.stderr.write(`benchmark failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
