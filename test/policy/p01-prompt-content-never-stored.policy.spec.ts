import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceHarness, MODEL, startInferenceHarness } from '../inference/harness';
import { redisContaining, tablesContaining } from '../support/privacy-scan';
import { openTestRedis } from '../support/redis';

/** The canary test: prompt and completion text is forwarded and streamed back, then gone. */
describe('P1: prompt and response content is never stored', () => {
  const logFile = join(tmpdir(), `tollgate-canary-${randomUUID()}.log`);
  let h: InferenceHarness;

  beforeAll(async () => {
    h = await startInferenceHarness('inference_canary', { overrides: { logLevel: 'trace', logFile } });
    h.engines[0].echo = true;
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    rmSync(logFile, { force: true });
  });

  it('leaves zero occurrences of a prompt canary in every table, every event, every Redis key and the logs', async () => {
    const canary = `CANARY${randomUUID().replace(/-/g, '')}`;
    const dev = await h.developer(5n);
    const prompt = `Please repeat ${canary} back to me`;

    // The engine echoes the prompt, so the canary is in both directions of the stream.
    const stream = await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: prompt }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toContain(canary);
    const chat = await dev.openai.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'system', content: canary },
        { role: 'user', content: prompt },
      ],
    });
    expect(chat.choices[0].message.content).toContain(canary);
    await dev.openai.completions.create({ model: MODEL, prompt });
    await dev.openai.embeddings.create({ model: MODEL, input: prompt });
    await dev.openai.images.generate({ model: MODEL, prompt });
    // Refused requests carry it too: a bad parameter, an unknown model.
    await expect(dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: prompt }], max_tokens: -1 })).rejects.toMatchObject({ status: 400 });
    await expect(dev.openai.chat.completions.create({ model: `x-${canary}`, messages: [{ role: 'user', content: prompt }] })).rejects.toMatchObject({ status: 404 });
    await h.t.caughtUp();

    const pool = h.t.database.pool;
    expect(await tablesContaining(pool, [MODEL])).toEqual(expect.arrayContaining([expect.stringMatching(/^events: /)])); // the scan finds metadata
    expect(await tablesContaining(pool, [canary])).toEqual([]);
    const { rows: usage } = await pool.query(`SELECT count(*)::int AS n FROM events WHERE event_type = 'UsageRecorded'`);
    expect(usage[0].n).toBeGreaterThanOrEqual(5); // the requests were metered, from metadata alone

    const redis = openTestRedis();
    try {
      expect(await redisContaining(redis, [canary])).toEqual([]);
    } finally {
      await redis.quit();
    }

    const logs = readFileSync(logFile, 'utf8');
    expect(logs).toContain('"msg":"inference request"'); // logging was on, at trace level
    expect(logs).not.toContain(canary);
  });
});
