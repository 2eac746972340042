import OpenAI from 'openai';
import { loadConfig } from '../../src/platform/config/config';
import { LedgerQueries } from '../../src/ledger/ledger.queries';
import { CreditSpending } from '../../src/ledger/spending/credit-spending';
import { AdversarialEngine, startAdversarialEngine } from '../standins/gpu-engine/adversarial-engine';
import { eventually } from '../support/eventually';
import { Developer, InferenceHarness, MODEL, PRICE, startInferenceHarness } from './harness';

const defaults = loadConfig({ NODE_ENV: 'test' });
const ALLOWANCE = defaults.charges.promptAllowanceTokens;
/** What the gateway adds to a streamed body before forwarding it (stream_options), generously. */
const FORWARDED_EXTRA_BYTES = 200;
const SLACK = 4;
const micro = (inTok: number, outTok: number) => (BigInt(inTok) * PRICE.inputMicroUsdPerMTok + BigInt(outTok) * PRICE.outputMicroUsdPerMTok + 999_999n) / 1_000_000n;

interface UsageRow {
  requestId: string;
  status: string;
  inputTokens: number;
  outputTokens: number;
  images: number;
  estimated: boolean;
  costMicroUsd: string;
  reservedMicroUsd: string;
}

/**
 * A node that lies about what it did, behind the real node agent, against the real gateway
 * (docs/trusting-nodes.md, "Bounds"). Every charge stays within what the gateway itself knows.
 */
describe('an adversarial node cannot make the gateway charge beyond what it knows', () => {
  let h: InferenceHarness<AdversarialEngine>;
  let engine: AdversarialEngine;

  beforeAll(async () => {
    h = await startInferenceHarness('adversarial_node', {
      startEngine: (i) => startAdversarialEngine({ models: [MODEL], name: `liar-${i}` }),
      overrides: {
        inference: { ...defaults.inference, upstreamIdleTimeoutMs: 1_500 },
        // This suite is about what one charge may be; the liar is never suspended here (its thousands of
        // discrepancies would suspend it: that consequence is test/nodes/trust/consequences.e2e.spec.ts).
        nodeTrust: { ...defaults.nodeTrust, review: { ...defaults.nodeTrust.review, discrepanciesToSuspend: Number.MAX_SAFE_INTEGER } },
      },
    });
    engine = h.engines[0];
  }, 60_000);
  afterEach(() => {
    Object.assign(engine, { usage: { kind: 'honest' }, chunks: 5, chunkText: ' word', stallAfterChunks: null, extraImages: 0, embeddingCompletionTokens: null });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function usageOf(dev: Developer): Promise<Map<string, UsageRow>> {
    await h.t.caughtUp();
    const { rows } = await h.t.database.pool.query<{ data: UsageRow }>(`SELECT data FROM events WHERE stream LIKE $1 AND event_type = 'UsageRecorded'`, [
      `usage-${dev.accountId}-%`,
    ]);
    return new Map(rows.map((r) => [r.data.requestId, r.data]));
  }

  async function discrepancies(requestIds: Iterable<string>): Promise<{ requestId: string; kind: string; reported: string; bound: string }[]> {
    const { rows } = await h.t.database.pool.query(
      `SELECT data FROM events WHERE stream LIKE $1 AND event_type = 'NodeUsageDiscrepancyRecorded' AND data->>'requestId' = ANY($2)`,
      [`nodetrust-${h.nodeIds[0]}-%`, [...requestIds]],
    );
    return rows.map((r) => r.data);
  }

  async function settledAndBalanced(dev: Developer): Promise<bigint> {
    const ledger = h.t.app.get(LedgerQueries);
    expect((await ledger.trialBalance()).totals).toMatchObject({ netMicroUsd: '0', balanced: true });
    const balance = -BigInt((await ledger.accountTotals(`developer:${dev.accountId}`)).balanceMicroUsd);
    // No hold leaked: Redis agrees with the ledger once the feeder has caught up.
    await eventually(async () => expect(await h.t.app.get(CreditSpending).funds(dev.accountId)).toMatchObject({ heldMicroUsd: 0n, balanceMicroUsd: balance }));
    return balance;
  }

  /** One streamed chat; what the client saw: the request id, the text bytes relayed, whether it ended cleanly. */
  async function stream(dev: Developer, body: OpenAI.Chat.ChatCompletionCreateParamsStreaming): Promise<{ requestId: string; textBytes: number; ok: boolean }> {
    const { data, response } = await dev.openai.chat.completions.create(body).withResponse();
    const requestId = response.headers.get('x-request-id') ?? '';
    let textBytes = 0;
    try {
      for await (const chunk of data) textBytes += Buffer.byteLength(chunk.choices[0]?.delta?.content ?? '');
      return { requestId, textBytes, ok: true };
    } catch {
      return { requestId, textBytes, ok: false };
    }
  }

  it('over 1,000 streamed requests from a node inflating its usage: charged ≤ the reservations and ≤ the relayed bound, every lie recorded, trial balance zero', async () => {
    engine.usage = { kind: 'claim', promptTokens: 1_000_000, completionTokens: 50_000_000 };
    engine.chunks = 8;
    const dev = await h.developer(5n, { requestsPerMinute: 10_000, tokensPerMinute: 1_000_000 });
    const seen: { requestId: string; textBytes: number; bodyBytes: number; ok: boolean }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < 1_000) {
        const i = next++;
        const body = { model: MODEL, messages: [{ role: 'user' as const, content: `request ${i}: tell me everything` }], stream: true as const, max_tokens: 64 };
        seen.push({ ...(await stream(dev, body)), bodyBytes: Buffer.byteLength(JSON.stringify(body)) });
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: 16 }, worker));
    const elapsedMs = Date.now() - started;
    expect(seen.filter((s) => s.ok)).toHaveLength(1_000);

    const usage = await usageOf(dev);
    expect(usage.size).toBe(1_000);
    let charged = 0n;
    let reserved = 0n;
    let relayedBound = 0n;
    let claimed = 0n;
    for (const s of seen) {
      const u = usage.get(s.requestId) as UsageRow;
      const outBound = Math.min(64, s.textBytes + SLACK);
      const inBound = s.bodyBytes + FORWARDED_EXTRA_BYTES + ALLOWANCE;
      expect(u.outputTokens).toBeLessThanOrEqual(outBound);
      expect(u.inputTokens).toBeLessThanOrEqual(inBound);
      expect(BigInt(u.costMicroUsd)).toBeLessThanOrEqual(BigInt(u.reservedMicroUsd));
      charged += BigInt(u.costMicroUsd);
      reserved += BigInt(u.reservedMicroUsd);
      relayedBound += micro(inBound, outBound);
      claimed += micro(1_000_000, 50_000_000);
    }
    expect(charged).toBeLessThanOrEqual(reserved);
    expect(charged).toBeLessThanOrEqual(relayedBound);

    const found = await discrepancies(usage.keys());
    const byKind = found.reduce<Record<string, Set<string>>>((m, d) => ((m[d.kind] ??= new Set()).add(d.requestId), m), {});
    expect(byKind.input_tokens_over_bound?.size).toBe(1_000);
    expect(byKind.output_tokens_over_bound?.size).toBe(1_000);
    expect(found).toHaveLength(2_000); // one per request and kind, never twice
    for (const d of found.filter((x) => x.kind === 'output_tokens_over_bound')) expect(d.reported).toBe('50000000');

    const balance = await settledAndBalanced(dev);
    expect(balance).toBe(5_000_000n - charged);
    console.log(
      `inflating node, 1,000 streams in ${elapsedMs} ms: node claimed ${claimed} µUSD; charged ${charged} µUSD (≤ reserved ${reserved} µUSD, ≤ the client-side relayed bound ${relayedBound} µUSD); ` +
        `discrepancies ${found.length} (input ${byKind.input_tokens_over_bound.size}, output ${byKind.output_tokens_over_bound.size}); trial balance 0; balance ${balance} µUSD`,
    );
  }, 240_000);

  it("malformed usage (1.5, a string, negative, null, absurd, missing) never throws: charged at the gateway's own figures, recorded, no hold left", async () => {
    const dev = await h.developer(1n);
    const cases: [string, unknown][] = [
      ['fraction', 1.5],
      ['string', '10'],
      ['negative', -1],
      ['null', null],
      ['absurd', 1e300],
      ['missing', undefined],
    ];
    const ids = new Map<string, string>();
    for (const [label, value] of cases) {
      engine.usage = value === undefined ? { kind: 'omit-field', field: 'completion_tokens' } : { kind: 'claim', promptTokens: 7, completionTokens: value };
      const s = await stream(dev, { model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true });
      expect({ label, ok: s.ok }).toEqual({ label, ok: true }); // [DONE]: the charge was stored
      ids.set(s.requestId, label);
      const chat = await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      ids.set(chat.response.headers.get('x-request-id') ?? '', `${label} (not streamed)`);
    }
    const usage = await usageOf(dev);
    const found = await discrepancies(ids.keys());
    for (const [requestId, label] of ids) {
      expect({ label, usage: usage.get(requestId) }).toMatchObject({ label, usage: { estimated: true, inputTokens: 7 } });
      expect({ label, kinds: found.filter((d) => d.requestId === requestId).map((d) => d.kind) }).toEqual({ label, kinds: ['malformed_usage'] });
    }
    // 5 chunks streamed: 5 tokens (one per text event); not streamed: ≈ 4 bytes a token of the 25 relayed.
    expect([...ids.keys()].map((id) => usage.get(id)?.outputTokens)).toEqual(cases.flatMap(() => [5, 7]));
    expect(found.map((d) => d.reported).sort()).toEqual([
      'completion_tokens:-1',
      'completion_tokens:-1',
      'completion_tokens:1.5',
      'completion_tokens:1.5',
      'completion_tokens:1e+300',
      'completion_tokens:1e+300',
      'completion_tokens:missing',
      'completion_tokens:missing',
      'completion_tokens:null',
      'completion_tokens:null',
      'completion_tokens:string',
      'completion_tokens:string',
    ]);
    await settledAndBalanced(dev);
    console.log(
      `malformed usage: ${ids.size} requests charged (${[...usage.values()].reduce((s, u) => s + BigInt(u.costMicroUsd), 0n)} µUSD in all), ${found.length} malformed_usage recorded, held 0`,
    );
  }, 60_000);

  it('extra images are charged as n; embeddings output is bounded at 0; an under-report is charged as reported', async () => {
    const dev = await h.developer(1n);
    engine.extraImages = 49;
    const images = await dev.openai.images.generate({ model: MODEL, prompt: 'a lighthouse', n: 1 }).withResponse();
    expect(images.data.data).toHaveLength(50);
    engine.embeddingCompletionTokens = 500;
    const embed = await dev.openai.embeddings.create({ model: MODEL, input: 'abc' }).withResponse();
    engine.embeddingCompletionTokens = null;
    engine.usage = { kind: 'claim', promptTokens: 1, completionTokens: 1 };
    const under = await stream(dev, { model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true });
    const [imageId, embedId] = [images.response, embed.response].map((r) => r.headers.get('x-request-id') as string);

    const usage = await usageOf(dev);
    expect(usage.get(imageId)).toMatchObject({ images: 1, costMicroUsd: PRICE.perImageMicroUsd.toString() });
    expect(usage.get(embedId)).toMatchObject({ outputTokens: 0 });
    expect(usage.get(under.requestId)).toMatchObject({ inputTokens: 1, outputTokens: 1, estimated: false });
    const found = await discrepancies([imageId, embedId, under.requestId]);
    expect(found.map((d) => [d.requestId, d.kind, d.reported, d.bound]).sort()).toEqual(
      [
        [imageId, 'images_over_bound', '50', '1'],
        [embedId, 'output_tokens_over_bound', '500', '0'],
      ].sort(),
    );
    await settledAndBalanced(dev);
    console.log(`50 images for n=1: charged ${usage.get(imageId)?.costMicroUsd} µUSD (one image); embeddings claiming 500 output tokens: charged 0 of them`);
  }, 60_000);

  it('a node that stalls mid-stream is cut at the idle bound; the client is charged for what was relayed', async () => {
    const dev = await h.developer(1n);
    engine.chunks = 50;
    engine.stallAfterChunks = 3;
    const started = Date.now();
    const s = await stream(dev, { model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 500 });
    const waitedMs = Date.now() - started;
    expect(s.ok).toBe(false); // an error event, never [DONE]
    expect(waitedMs).toBeLessThan(10_000);
    const u = (await usageOf(dev)).get(s.requestId) as UsageRow;
    expect(u).toMatchObject({ status: 'upstream_failed', outputTokens: 3, estimated: true });
    await settledAndBalanced(dev);
    console.log(`node stalled after 3 chunks: cut after ${waitedMs} ms (idle bound 1,500 ms), charged ${u.outputTokens} output tokens, ${u.costMicroUsd} µUSD`);
  }, 60_000);
});
