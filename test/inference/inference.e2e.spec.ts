import OpenAI from 'openai';
import { LedgerQueries } from '../../src/ledger/ledger.queries';
import { CreditSpending } from '../../src/ledger/spending/credit-spending';
import { eventually } from '../support/eventually';
import { Developer, InferenceHarness, MODEL, startInferenceHarness } from './harness';

/** engine stand-in usage for a chat: 7 prompt + 5 completion tokens at $1 / $2 per million → 17 micro-USD. */
const CHAT_COST = 17n;

describe('/v1 through the official openai SDK', () => {
  let h: InferenceHarness;
  let dev: Developer;

  beforeAll(async () => {
    h = await startInferenceHarness('inference_e2e');
    dev = await h.developer(5n);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  async function usageEvents(accountId: string) {
    const { rows } = await h.t.database.pool.query(`SELECT data FROM events WHERE stream LIKE $1 AND event_type = 'UsageRecorded' ORDER BY global_position`, [
      `usage-${accountId}-%`,
    ]);
    return rows.map((r) => r.data);
  }

  it('streams a chat completion; the usage chunk only when asked for', async () => {
    const stream = await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Say hello' }], stream: true });
    let text = '';
    let usageChunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usageChunks++;
    }
    expect(text).toBe('Hello from the engine.');
    expect(usageChunks).toBe(0);

    const withUsage = await dev.openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Say hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of withUsage) chunks.push(chunk);
    expect(chunks[chunks.length - 1].usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 5 });
  });

  it('answers non-streamed chat, completions, embeddings and images, and lists the model', async () => {
    const chat = await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.choices[0].message.content).toBe('Hello from the engine.');
    expect(chat.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 5 });
    const completion = await dev.openai.completions.create({ model: MODEL, prompt: 'Once upon a time' });
    expect(completion.choices[0].text).toBe('Hello from the engine.');
    const embedding = await dev.openai.embeddings.create({ model: MODEL, input: ['a', 'b'] });
    expect(embedding.data).toHaveLength(2);
    const images = await dev.openai.images.generate({ model: MODEL, prompt: 'a lighthouse', n: 2 });
    expect(images.data).toHaveLength(2);
    const models = await dev.openai.models.list();
    expect(models.data.map((m) => m.id)).toContain(MODEL);
  });

  it('charges every completed request once, from the usage the node reported, and the ledger balances', async () => {
    await h.t.caughtUp();
    const events = await usageEvents(dev.accountId);
    expect(events.map((e) => [e.endpoint, e.status, e.costMicroUsd])).toEqual([
      ['chat.completions', 'completed', CHAT_COST.toString()],
      ['chat.completions', 'completed', CHAT_COST.toString()],
      ['chat.completions', 'completed', CHAT_COST.toString()],
      ['completions', 'completed', '14'], // 4 + 5×2
      ['embeddings', 'completed', '6'], // 6 prompt tokens
      ['images.generations', 'completed', '40000'], // 2 images × 2 cents, tokens 0
    ]);
    expect(new Set(events.map((e) => e.requestId)).size).toBe(events.length);
    for (const e of events) expect(e).toMatchObject({ providerId: h.providerId, nodeId: h.nodeIds[0], estimated: false });
    const spent = events.reduce((s, e) => s + BigInt(e.costMicroUsd), 0n);
    const ledger = h.t.app.get(LedgerQueries);
    expect((await ledger.accountTotals(`developer:${dev.accountId}`)).normalBalanceMicroUsd).toBe((5_000_000n - spent).toString());
    const share = events.reduce((s, e) => s + BigInt(e.providerShareMicroUsd), 0n);
    expect((await ledger.accountTotals(`provider:${h.providerId}`)).normalBalanceMicroUsd).toBe(share.toString());
    expect((await ledger.trialBalance()).totals.balanced).toBe(true);
    await eventually(async () => expect((await h.t.app.get(CreditSpending).funds(dev.accountId)).heldMicroUsd).toBe(0n));
  });

  it('refuses a bad key (401), no credits (402 insufficient_quota), an unknown model (404) and a bad body (400)', async () => {
    const stranger = new OpenAI({ apiKey: 'tg_live_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', baseURL: `${h.t.url}/v1`, maxRetries: 0 });
    await expect(stranger.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });

    const broke = await h.developer(0n);
    const noCredits = await broke.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(noCredits).toBeInstanceOf(OpenAI.APIError);
    expect(noCredits).toMatchObject({ status: 402, code: 'insufficient_quota', type: 'insufficient_quota' });

    await expect(dev.openai.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    const bad = await dev.openai.chat.completions.create({ model: MODEL, messages: [] }).catch((e) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad).toMatchObject({ status: 400, param: 'messages' });
    const tooMany = await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 10_000_000 }).catch((e) => e);
    expect(tooMany).toMatchObject({ status: 400, param: 'max_tokens' });
    // A malformed body is a 400 in OpenAI's shape too, never a 500.
    const raw = await fetch(`${h.t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dev.key}`, 'content-type': 'application/json' },
      body: '{"model":',
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('an Idempotency-Key repeat never charges twice and names the original request', async () => {
    const before = (await usageEvents(dev.accountId)).length;
    const first = await dev.openai.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'Idempotency-Key': 'order-42' } })
      .withResponse();
    const original = first.response.headers.get('x-request-id');
    const repeat = await dev.openai.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'Idempotency-Key': 'order-42' } })
      .catch((e) => e);
    expect(repeat).toMatchObject({ status: 409, code: 'idempotency_key_reused' });
    expect(repeat.message).toContain(original);
    await h.t.caughtUp();
    expect((await usageEvents(dev.accountId)).length).toBe(before + 1);
  });

  it('a repeat sent the moment the answer arrives reads "already used", never "still running"', async () => {
    // The racing client: each repeat leaves as soon as its original's body is read, while the
    // hold's settle (after the last byte) is slowed to a loaded machine's pace.
    const spending = h.t.app.get(CreditSpending);
    const settle = jest.spyOn(spending, 'settle').mockImplementation(async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return CreditSpending.prototype.settle.apply(spending, args);
    });
    const codes: Record<string, number> = {};
    try {
      for (let i = 0; i < 10; i++) {
        const headers = { 'Idempotency-Key': `race-${i}` };
        await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }, { headers });
        const repeat = await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }, { headers }).catch((e) => e);
        codes[repeat.code] = (codes[repeat.code] ?? 0) + 1;
      }
    } finally {
      settle.mockRestore();
    }
    console.log(`10 originals each repeated at once, settles slowed 50 ms: ${JSON.stringify(codes)}`);
    expect(codes).toEqual({ idempotency_key_reused: 10 });
  });

  it('charges estimated usage (what was delivered) when the node reports none', async () => {
    h.engines[0].omitUsage = true;
    try {
      const stream = await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Say hello' }], stream: true });
      for await (const _ of stream) void _;
    } finally {
      h.engines[0].omitUsage = false;
    }
    await h.t.caughtUp();
    const last = (await usageEvents(dev.accountId)).pop();
    expect(last).toMatchObject({ status: 'completed', estimated: true, outputTokens: 5 }); // 5 chunks of text relayed
  });
});
