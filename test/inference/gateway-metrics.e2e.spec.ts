import { MetricsListener } from '../../src/platform/observability/metrics-listener';
import { Developer, InferenceHarness, MODEL, startInferenceHarness } from './harness';

/** Every family an operator of the gateway watches (docs/operations.md, "Gateway metrics"); each must be on /metrics after traffic. */
const FAMILIES = [
  'tollgate_inference_added_seconds',
  'tollgate_inference_ttft_seconds',
  'tollgate_upstream_seconds',
  'tollgate_inference_refused_total',
  'tollgate_node_failovers_total',
  'tollgate_node_cooldowns',
  'tollgate_usage_batch_size',
  'tollgate_usage_batch_seconds',
  'tollgate_usage_charge_wait_seconds',
  'tollgate_projection_lag_seconds',
  'tollgate_credits_feeder_lag_seconds',
  'tollgate_queue_jobs',
  'tollgate_mail_outcomes',
  'tollgate_razorpay_calls',
];

describe('gateway metrics on /metrics', () => {
  let h: InferenceHarness;
  let dev: Developer;
  let broke: Developer;

  beforeAll(async () => {
    h = await startInferenceHarness('gateway_metrics');
    dev = await h.developer(5n, { requestsPerMinute: 4 });
    broke = await h.developer({ microUsd: 1n });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  const scrape = async () => (await (await fetch(`http://127.0.0.1:${h.t.app.get(MetricsListener).address()!.port}/metrics`)).text()).split('\n');
  const value = (lines: string[], series: string) => Number(lines.find((l) => l.startsWith(`${series} `))?.split(' ')[1] ?? Number.NaN);

  it('finds every family after streamed traffic, a 402 and a 429, with the counts of that traffic', async () => {
    for (let i = 0; i < 3; i++) {
      const stream = await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Say hello' }], stream: true });
      for await (const chunk of stream) void chunk;
    }
    await expect(broke.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Say hello' }] })).rejects.toMatchObject({ status: 402 });
    await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Say hello' }] });
    await expect(dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Say hello' }] })).rejects.toMatchObject({ status: 429 });

    const lines = await scrape();
    const missing = FAMILIES.filter((f) => !lines.some((l) => l.startsWith(`# TYPE ${f} `)));
    expect(missing).toEqual([]);
    expect(value(lines, `tollgate_inference_added_seconds_count{model="${MODEL}"}`)).toBe(4);
    expect(value(lines, `tollgate_inference_ttft_seconds_count{model="${MODEL}"}`)).toBe(4);
    expect(value(lines, `tollgate_upstream_seconds_count{node="${h.nodeIds[0]}"}`)).toBe(4);
    expect(value(lines, 'tollgate_inference_refused_total{status="402"}')).toBe(1);
    expect(value(lines, 'tollgate_inference_refused_total{status="429"}')).toBe(1);
    expect(value(lines, 'tollgate_usage_charge_wait_seconds_count')).toBe(4);
    expect(value(lines, 'tollgate_usage_batch_size_count')).toBeGreaterThanOrEqual(1);
    expect(lines.some((l) => /^tollgate_queue_jobs\{queue="mail",state="failed"\} \d+$/.test(l))).toBe(true);
    // Metadata only: no prompt or completion text in any label.
    expect(lines.join('\n')).not.toMatch(/Say hello|Hello from the engine/);
    const added = lines.filter((l) => l.startsWith('tollgate_inference_added_seconds_sum')).join(' ');
    process.stdout.write(`metrics after 4 requests, one 402 and one 429: ${FAMILIES.length} families found; ${added}\n`);
  });
});
