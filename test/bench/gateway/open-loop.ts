/**
 * The load of `npm run bench:gateway`, in its own process: requests are sent at fixed times
 * (open loop: i / rate after the start, whatever the answers do), and every latency is measured
 * from the scheduled time, so a slow server cannot slow the load down and hide its own queueing
 * (no coordinated omission). A request that cannot be sent because MAX_IN_FLIGHT are outstanding
 * counts as an error. Prints one JSON line: counts and TTFB / total percentiles (ms).
 *
 *   node -r ts-node/register/transpile-only open-loop.ts '<json settings>'
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';

interface Settings {
  url: string;
  headers: Record<string, string>;
  body: string;
  rate: number;
  seconds: number;
  warmupSeconds: number;
  maxInFlight: number;
  timeoutMs: number;
}

const s = JSON.parse(process.argv[2]) as Settings;
const agent = new Agent({ connections: s.maxInFlight, keepAliveTimeout: 60_000, headersTimeout: s.timeoutMs, bodyTimeout: s.timeoutMs });
const DONE = Buffer.from('data: [DONE]');
const ttfb: number[] = [];
const total: number[] = [];
const counts = { sent: 0, ok: 0, non200: 0, incomplete: 0, failed: 0, dropped: 0 };
const statuses: Record<string, number> = {};
let inFlight = 0;

async function one(scheduled: number, measured: boolean): Promise<void> {
  inFlight++;
  try {
    const res = await request(s.url, { method: 'POST', headers: s.headers, body: s.body, dispatcher: agent });
    let first = -1;
    let tail: Buffer = Buffer.alloc(0);
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (first < 0) first = performance.now() - scheduled;
      tail = res.statusCode !== 200 ? Buffer.concat([tail, chunk]).subarray(0, 512) : chunk.length >= 32 ? chunk : Buffer.concat([tail, chunk]).subarray(-32);
    }
    const end = performance.now() - scheduled;
    if (!measured) return;
    if (res.statusCode !== 200) {
      counts.non200++;
      if (!statuses[res.statusCode]) process.stderr.write(`open-loop: first ${res.statusCode}: ${tail.toString('utf8', 0, 200)}\n`);
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
    } else if (tail.indexOf(DONE) === -1) counts.incomplete++;
    else {
      counts.ok++;
      ttfb.push(first);
      total.push(end);
    }
  } catch {
    if (measured) counts.failed++;
  } finally {
    inFlight--;
  }
}

function pct(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 1000) / 1000;
}

async function main(): Promise<void> {
  const n = Math.round(s.rate * (s.seconds + s.warmupSeconds));
  const warm = Math.round(s.rate * s.warmupSeconds);
  const start = performance.now() + 50;
  const pending: Promise<void>[] = [];
  let i = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      // Everything due by now goes out now, timed from when it was due.
      while (i < n && start + (i * 1000) / s.rate <= now) {
        const scheduled = start + (i * 1000) / s.rate;
        const measured = i >= warm;
        i++;
        if (measured) counts.sent++;
        if (inFlight >= s.maxInFlight) {
          if (measured) counts.dropped++;
          continue;
        }
        pending.push(one(scheduled, measured));
      }
      if (i >= n) return done();
      setTimeout(tick, Math.max(0, start + (i * 1000) / s.rate - performance.now() - 0.5));
    };
    tick();
  });
  const measuredFrom = start + (warm * 1000) / s.rate;
  await Promise.all(pending);
  const wallS = (performance.now() - measuredFrom) / 1000;
  await agent.close();
  process.stdout.write(
    `${JSON.stringify({ ...counts, statuses, errors: counts.non200 + counts.incomplete + counts.failed + counts.dropped, okPerSecond: Math.round((counts.ok / wallS) * 10) / 10, ttfb: { p50: pct(ttfb, 50), p99: pct(ttfb, 99) }, total: { p50: pct(total, 50), p99: pct(total, 99) } })}\n`,
  );
}

void main();
