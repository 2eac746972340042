import OpenAI from 'openai';
import { MODEL } from '../../inference/harness';
import type { ContractContext, Scenario } from '../context';

/** The official SDK, its every answer handed to the checker (streams too: each chunk against its documented schema). */
function checkedSdk(c: ContractContext): OpenAI {
  return new OpenAI({
    apiKey: c.apiDeveloper.key,
    baseURL: `${c.url}/v1`,
    maxRetries: 0,
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      const path = new URL(typeof input === 'string' || input instanceof URL ? input : input.url).pathname;
      await c.checker.check(init?.method ?? 'GET', path, res.clone());
      return res;
    },
  });
}

export const scenarios: Scenario[] = [
  [
    '/v1 through the openai SDK: models, chat (streamed and not), completions, embeddings, images',
    async (c) => {
      const sdk = checkedSdk(c);
      expect((await sdk.models.list()).data.map((m) => m.id)).toContain(MODEL);
      const chat = await sdk.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 });
      expect(chat.object).toBe('chat.completion');
      let chunks = 0;
      for await (const chunk of await sdk.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 8,
        stream: true,
        stream_options: { include_usage: true },
      })) {
        chunks += chunk.object === 'chat.completion.chunk' ? 1 : 0;
      }
      expect(chunks).toBeGreaterThan(0);
      await sdk.completions.create({ model: MODEL, prompt: 'hi', max_tokens: 8 });
      for await (const _ of await sdk.completions.create({ model: MODEL, prompt: 'hi', max_tokens: 8, stream: true })) void _;
      await sdk.embeddings.create({ model: MODEL, input: 'hi' });
      await sdk.images.generate({ model: MODEL, prompt: 'a lighthouse' });
      // An error answer is documented too (OpenAI's shape).
      await expect(sdk.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 404 });
    },
  ],
];
