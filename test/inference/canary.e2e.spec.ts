import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { TEST_REDIS_URL } from '../support/database';
import { InferenceHarness, MODEL, startInferenceHarness } from './harness';

/** Every value held in Redis, key names included, as one string to search. */
async function redisDump(redis: Redis): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      parts.push(key);
      const type = await redis.type(key);
      if (type === 'string') parts.push((await redis.get(key)) ?? '');
      else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
      else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
      else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
  } while (cursor !== '0');
  return parts.join('\n');
}

/** P1: prompt and completion text is forwarded and streamed back, then gone. */
describe('prompt content is never persisted (the canary test)', () => {
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
    const chat = await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'system', content: canary }, { role: 'user', content: prompt }] });
    expect(chat.choices[0].message.content).toContain(canary);
    await dev.openai.completions.create({ model: MODEL, prompt });
    await dev.openai.embeddings.create({ model: MODEL, input: prompt });
    await dev.openai.images.generate({ model: MODEL, prompt });
    // Refused requests carry it too: a bad parameter, an unknown model.
    await expect(dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: prompt }], max_tokens: -1 })).rejects.toMatchObject({ status: 400 });
    await expect(dev.openai.chat.completions.create({ model: `x-${canary}`, messages: [{ role: 'user', content: prompt }] })).rejects.toMatchObject({ status: 404 });
    await h.t.caughtUp();

    const pool = h.t.database.pool;
    const { rows: tables } = await pool.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`);
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['events', 'ledger_transactions', 'api_keys']));
    const hits: string[] = [];
    for (const { table_name } of tables) {
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${table_name}" t WHERE t::text LIKE $1`, [`%${canary}%`]);
      if (rows[0].n > 0) hits.push(`${table_name}: ${rows[0].n}`);
    }
    expect(hits).toEqual([]);
    const { rows: usage } = await pool.query(`SELECT count(*)::int AS n FROM events WHERE event_type = 'UsageRecorded'`);
    expect(usage[0].n).toBeGreaterThanOrEqual(5); // the requests were metered, from metadata alone

    const redis = new Redis(TEST_REDIS_URL);
    try {
      expect(await redisDump(redis)).not.toContain(canary);
    } finally {
      await redis.quit();
    }

    const logs = readFileSync(logFile, 'utf8');
    expect(logs).toContain('"msg":"inference request"'); // logging was on, at trace level
    expect(logs).not.toContain(canary);
  });
});
