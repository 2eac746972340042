import { randomUUID } from 'node:crypto';
import { RelayedOutputCounter } from '../../../src/nodes/trust/counting/relayed-output-counter';
import { reportedToCounted } from '../../../src/nodes/trust/counting/drift';
import { eventually } from '../../support/eventually';
import { redisContaining, tablesContaining } from '../../support/privacy-scan';
import { startTrustApp, TrustApp, TrustNode } from './trust-harness';
import { openTestRedis } from '../../support/redis';

const SETTINGS = {
  TOKEN_COUNT_MODELS: 'trust-count/*=cl100k_base',
  TOKEN_COUNT_WINDOW_TOKENS: '400',
  TOKEN_COUNT_MIN_TOKENS: '100',
  TOKEN_COUNT_FLUSH_MS: '300',
  TOKEN_DRIFT_TOLERANCE_BPS: '500',
  TOKEN_DRIFT_SLACK_PER_REQUEST: '2',
  // Consequences are another suite's subject: here drift is only recorded.
  DISCREPANCIES_TO_SUSPEND: '1000000',
};
const STREAMED = 40;
const NON_STREAMED = 10;

describe('the gateway counts relayed output itself: a node reporting more or fewer tokens than it sent drifts and is recorded', () => {
  let app: TrustApp;
  let providerId: string;
  let browser: Awaited<ReturnType<TrustApp['provider']>>['browser'];
  const nodes: Record<'honest' | 'over' | 'under' | 'uncounted', TrustNode> = {} as never;
  const canary = `zqcanary${randomUUID().replace(/-/g, '')}`;

  beforeAll(async () => {
    app = await startTrustApp('trust_counting', SETTINGS);
    ({ providerId, browser } = await app.provider('gpu-owner'));
    nodes.honest = await app.node(providerId, ['trust-count/honest']);
    nodes.over = await app.node(providerId, ['trust-count/over']);
    nodes.under = await app.node(providerId, ['trust-count/under']);
    nodes.uncounted = await app.node(providerId, ['trust-other/uncounted']);
    nodes.honest.engine.prefix = `${canary} `;
    nodes.over.engine.reportFactor = 1.25;
    nodes.under.engine.reportFactor = 0.8;
    nodes.uncounted.engine.reportFactor = 3;
    const dev = await app.developer(100n);
    for (const node of Object.values(nodes)) {
      const model = node.models[0];
      for (let i = 0; i < STREAMED; i++) {
        const stream = await dev.openai.chat.completions.create({
          model,
          stream: true,
          max_tokens: 64,
          messages: [{ role: 'user', content: `Tell me about request ${i} of ${model}.` }],
        });
        for await (const chunk of stream) void chunk;
      }
      for (let i = 0; i < NON_STREAMED; i++) await dev.openai.chat.completions.create({ model, max_tokens: 64, messages: [{ role: 'user', content: `Describe item ${i}.` }] });
    }
  }, 240_000);
  afterAll(async () => {
    await app?.close();
  });

  async function record(node: TrustNode) {
    return eventually(
      async () => {
        await app.t.caughtUp();
        const r = (await browser.get(`${app.t.url}/provider/nodes/${node.nodeId}/reputation`)).body as {
          counting: { requests: number; reportedTokens: number; countedTokens: number; reportedToCounted: number | null };
          discrepancies: { byKind: Record<string, number> };
        };
        if (node !== nodes.uncounted && r.counting.requests < STREAMED + NON_STREAMED) throw new Error(`counted ${r.counting.requests} so far`);
        return r;
      },
      20_000,
      100,
    );
  }

  it('honest: reported ≈ counted, no drift; inflating and under-reporting nodes drift and accumulate token_count_drift discrepancies; unmapped models are not counted', async () => {
    const honest = await record(nodes.honest);
    const over = await record(nodes.over);
    const under = await record(nodes.under);
    await new Promise((r) => setTimeout(r, 1_000));
    const uncounted = await record(nodes.uncounted);
    const line = (name: string, r: typeof honest) =>
      `${name}: ${r.counting.requests} responses, reported ${r.counting.reportedTokens} vs counted ${r.counting.countedTokens} tokens, ratio ${r.counting.reportedToCounted}, drift ${r.discrepancies.byKind.token_count_drift ?? 0}`;
    console.log(
      [
        'gateway token count (cl100k, window 400 tokens, tolerance 5 % + 2 tokens/request):',
        line('honest', honest),
        line('over-reporting ×1.25', over),
        line('under-reporting ×0.8', under),
        line('unmapped model', uncounted),
      ].join('\n  '),
    );
    expect(honest.counting.requests).toBe(STREAMED + NON_STREAMED);
    expect(honest.counting.reportedToCounted).toBeGreaterThanOrEqual(1);
    expect(honest.counting.reportedToCounted).toBeLessThan(1.05);
    expect(honest.discrepancies.byKind.token_count_drift).toBeUndefined();
    expect(over.counting.reportedToCounted).toBeGreaterThan(1.2);
    expect(over.discrepancies.byKind.token_count_drift).toBeGreaterThanOrEqual(2);
    expect(under.counting.reportedToCounted).toBeLessThan(0.85);
    expect(under.discrepancies.byKind.token_count_drift).toBeGreaterThanOrEqual(2);
    expect(uncounted.counting.requests).toBe(0);
    expect(uncounted.discrepancies.byKind.token_count_drift).toBeUndefined();
    // The ratio the read model shows is the sum of the recorded windows.
    expect(reportedToCounted(honest.counting.reportedTokens, honest.counting.countedTokens)).toBe(honest.counting.reportedToCounted);
  }, 60_000);

  it('counting happened off the request path and dropped nothing at this load', () => {
    const stats = app.t.app.get(RelayedOutputCounter).stats();
    console.log(`counter: ${JSON.stringify(stats)}`);
    expect(stats.counted).toBe(3 * (STREAMED + NON_STREAMED));
    expect(stats.droppedQueueFull + stats.droppedTooLarge + stats.unreadable + stats.failed).toBe(0);
  });

  it('P1: the relayed text that was counted is kept nowhere (tables, events, Redis)', async () => {
    expect(nodes.honest.engine.answers.every((a) => a.startsWith(canary))).toBe(true);
    expect(await tablesContaining(app.t.database.pool, ['trust-count/honest'])).toEqual(expect.arrayContaining([expect.stringMatching(/^events: /)]));
    expect(await tablesContaining(app.t.database.pool, [canary])).toEqual([]);
    const redis = openTestRedis();
    try {
      expect(await redisContaining(redis, [canary])).toEqual([]);
    } finally {
      redis.disconnect();
    }
  }, 60_000);
});
