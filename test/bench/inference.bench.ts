/**
 * /v1 hot-path benchmark: prints figures, asserts nothing (not a jest suite).
 *
 *   npm run bench:inference     # = ts-node --transpile-only test/bench/inference.bench.ts
 *
 * Settings: BENCH_INFERENCE_REQUESTS / --requests (default 2,000 per row), BENCH_INFERENCE_CONCURRENCY /
 * --concurrency (default 16).
 *
 * Streams a chat completion (8 SSE events + usage + [DONE], from an engine stand-in) three ways:
 * straight to the engine (the floor), through the node agent (what a provider adds), and through
 * Tollgate's gateway (key check, rate limit, reserve, route, relay with metering, charge, settle),
 * so the difference is what Tollgate adds per request. Node CPU is this process: the gateway,
 * the agent, the engine and the client all run in it.
 */
import { Agent, request } from 'undici';
import { loadConfig } from '../../src/platform/config/config';
import { NodeDispatcher } from '../../src/nodes/routing/node-dispatcher';
import { RelayedOutputCounter } from '../../src/nodes/trust/counting/relayed-output-counter';
import { startInferenceHarness, MODEL } from '../inference/harness';
import { Samples, Stopwatch, alignTable, fmtInt, intSetting, machineLine, msSince, now, pct, runMain, runWorkers, split } from './bench-helpers';

const log = (s: string) => process.stderr.write(`${s}\n`);
const body = JSON.stringify({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 64 });

async function drive(label: string, url: string, headers: Record<string, string>, total: number, concurrency: number): Promise<string[]> {
  const dispatcher = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
  const latency = new Samples();
  const budget = split(total, concurrency);
  let failures = 0;
  const watch = new Stopwatch();
  await runWorkers(concurrency, async (k) => {
    if (budget[k]-- <= 0) return false;
    const t = now();
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, dispatcher });
    const text = await res.body.text();
    if (res.statusCode !== 200 || !text.endsWith('data: [DONE]\n\n')) failures++;
    latency.add(msSince(t));
    return true;
  });
  const ms = watch.elapsedMs();
  await dispatcher.close();
  return [
    label,
    `${concurrency} in flight`,
    fmtInt(total),
    fmtInt(total / (ms / 1000)),
    latency.percentile(50).toFixed(2),
    latency.percentile(99).toFixed(2),
    pct(watch.cpuShare()),
    fmtInt(failures),
  ];
}

async function main(): Promise<void> {
  const total = intSetting('BENCH_INFERENCE_REQUESTS', 'requests', 2_000);
  const concurrency = intSetting('BENCH_INFERENCE_CONCURRENCY', 'concurrency', 16);
  log('inference benchmark: starting Tollgate, an engine stand-in and a node agent…');
  // The gateway counts the relayed output of this model itself (cl100k, worker thread), as it would for a mapped model.
  const nodeTrust = loadConfig({ TOKEN_COUNT_MODELS: 'tollgate-test/*=cl100k_base' }).nodeTrust;
  const h = await startInferenceHarness('bench_inference', {
    overrides: {
      nodeTrust,
      inference: {
        maxBodyBytes: 4 << 20,
        maxResponseBytes: 32 << 20,
        maxOutputTokens: 16_384,
        defaultMaxTokens: 1_024,
        defaultRequestsPerMinute: 1_000_000,
        defaultTokensPerMinute: 1_000_000_000,
        upstreamFirstByteTimeoutMs: 30_000,
        upstreamIdleTimeoutMs: 60_000,
      },
      security: { accountLimits: { requestsPerMinute: 10_000_000, tokensPerMinute: 10_000_000_000, concurrentStreams: 100_000, streamSlotTtlMs: 900_000 } },
    },
  });
  const rows: string[][] = [];
  let counted: ReturnType<RelayedOutputCounter['stats']> | null = null;
  try {
    const dev = await h.developer(1_000n);
    // The agent's address and the gateway's credential for it, as the router hands them out.
    const router = h.t.app.get(NodeDispatcher);
    const { node } = await router.dispatch(MODEL, async () => ({ status: 200 }));
    await router.finish(node.nodeId, { ok: true, latencyMs: 1, ttftMs: 1 });
    log('warming up…');
    await drive('warm-up', `${h.t.url}/v1/chat/completions`, { authorization: `Bearer ${dev.key}` }, 200, concurrency);
    rows.push(await drive('engine stand-in directly', `${h.engines[0].url}/v1/chat/completions`, {}, total, concurrency));
    rows.push(await drive('through the node agent', `${node.baseUrl}/v1/chat/completions`, node.headers, total, concurrency));
    rows.push(await drive('through Tollgate /v1 (metered, charged)', `${h.t.url}/v1/chat/completions`, { authorization: `Bearer ${dev.key}` }, total, concurrency));
    counted = h.t.app.get(RelayedOutputCounter).stats();
  } finally {
    await h.close();
  }
  process.stdout.write(
    [
      '',
      '/v1 streaming benchmark',
      `${machineLine()}`,
      '',
      alignTable(['path', 'config', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'node cpu', 'failed'], rows, new Set([2, 3, 4, 5, 6, 7])),
      '',
      'Each request: one streamed chat completion, read to [DONE]. The gateway row includes the UsageRecorded append (PostgreSQL) before [DONE].',
      `Off the request path, the gateway counted the output of ${counted?.counted ?? 0} responses itself (dropped: ${(counted?.droppedQueueFull ?? 0) + (counted?.droppedTooLarge ?? 0)}, unreadable or failed: ${(counted?.unreadable ?? 0) + (counted?.failed ?? 0)}, waiting at the end: ${counted?.waiting ?? 0}).`,
      '',
    ].join('\n'),
  );
}

runMain(main);
