import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPI } from 'openapi-types';
import { z } from 'zod';
import { OpenAiError } from '../../src/platform/http/openai-errors';
import { DEFAULT_REQUEST_LIMITS, ENDPOINTS, readInferenceRequest } from '../../src/openai/openai-request';
import { v1RequestSchemas, v1ResponseSchemas } from '../../src/inference/v1-schemas';
import { Developer, InferenceHarness, MODEL, startInferenceHarness } from './harness';

const LIMITS = DEFAULT_REQUEST_LIMITS;
/** The parts of the document these tests read. */
type Json = { [key: string]: Json };
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, { post: Json & { parameters: { name: string }[] } }>;
  components: { schemas: Record<string, Json> };
}
const SCHEMAS = v1RequestSchemas(LIMITS);

/** A small deterministic generator, so a disagreement is reproducible from its seed. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32;
}

/** Values near every edge the readers check: types, empties, limits and one past them. */
const VALUES: unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  1,
  -1,
  1.5,
  4,
  5,
  8,
  9,
  16_384,
  16_385,
  '',
  'x',
  'a lighthouse',
  [],
  ['a'],
  [1, 2],
  ['a', 3],
  [{ role: 'user', content: 'hi' }],
  [{ content: 'no role' }],
  [{ role: 7 }],
  {},
  { include_usage: true },
  { include_usage: 'yes' },
  { role: 'user' },
];

function body(endpoint: string, rnd: () => number): Record<string, unknown> {
  const pick = () => VALUES[Math.floor(rnd() * VALUES.length)];
  const fields: Record<string, string[]> = {
    'chat.completions': ['messages', 'max_tokens', 'max_completion_tokens'],
    completions: ['prompt', 'max_tokens'],
    embeddings: ['input'],
    'images.generations': ['prompt'],
  };
  // Each field is usually absent or valid, so every other field's check is reached too.
  const valid: Record<string, unknown[]> = {
    messages: [[{ role: 'user', content: 'hi' }]],
    prompt: ['a lighthouse', ['a', 'b']],
    input: ['x', ['a', 'b']],
    max_tokens: [1, 16, null],
    max_completion_tokens: [8, null],
    stream: [false, endpoint.endsWith('completions')],
    stream_options: [{ include_usage: true }, null],
    n: [1, 2, null],
    stop: ['\n', ['a', 'b'], null],
    temperature: [0.7],
  };
  const b: Record<string, unknown> = { model: rnd() < 0.95 ? MODEL : pick() };
  for (const f of [...fields[endpoint], 'stream', 'stream_options', 'n', 'stop', 'temperature']) {
    const required = fields[endpoint].includes(f) && f !== 'max_tokens' && f !== 'max_completion_tokens';
    const roll = rnd();
    const v = roll < (required ? 0 : 0.5) ? undefined : roll < 0.85 ? valid[f][Math.floor(rnd() * valid[f].length)] : pick();
    if (v !== undefined) b[f] = v;
  }
  return b;
}

describe('/v1 schemas: the OpenAPI document, the hot path and real responses agree', () => {
  let h: InferenceHarness;
  let dev: Developer;

  beforeAll(async () => {
    h = await startInferenceHarness('v1_schemas');
    dev = await h.developer(5n);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('the document is valid OpenAPI 3.1 and describes every /v1 route with its body, responses, errors and headers', async () => {
    const document = (await (await fetch(`${h.t.url}/docs/openapi.json`)).json()) as OpenApiDocument;
    expect(document.openapi).toBe('3.1.0');
    await SwaggerParser.validate(structuredClone(document) as unknown as OpenAPI.Document);
    for (const path of Object.keys(ENDPOINTS)) {
      const op = document.paths[path]?.post;
      expect(op).toBeDefined();
      expect(op.security).toEqual([{ apiKey: [] }]);
      expect(op.requestBody.content['application/json'].schema.$ref).toMatch(/^#\/components\/schemas\/Create/);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '402', '429', '503']));
      expect(Object.keys(op.responses['200'].headers)).toEqual(expect.arrayContaining(['x-request-id', 'x-ratelimit-remaining-requests']));
      expect(op.responses['429'].headers['Retry-After']).toBeDefined();
      expect(op.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
    }
    expect(document.paths['/v1/chat/completions'].post.responses['200'].content['text/event-stream']).toBeDefined();
    // Routes moved to @ValidBody carry the very schema they are checked with.
    const preferences = (document.paths['/me/notifications'] as unknown as Record<string, Json>).patch;
    expect(Object.keys(preferences.requestBody.content['application/json'].schema.properties)).toEqual(['categories', 'lowBalanceThresholdUsd']);
    expect(preferences.requestBody.content['application/json'].schema.additionalProperties).toEqual(false);
    expect(document.components.schemas.CreateChatCompletionRequest.properties.max_tokens.anyOf[0]).toMatchObject({ type: 'integer', maximum: LIMITS.maxOutputTokens });
  });

  it('the hot-path reader and the schema accept and refuse the same bodies', () => {
    const rnd = random(Number(process.env.V1_SCHEMA_SEED ?? 22));
    const disagreements: string[] = [];
    let accepted = 0;
    const RUNS = 4_000;
    for (let i = 0; i < RUNS; i++) {
      const [path, endpoint] = Object.entries(ENDPOINTS)[i % 4];
      const b = body(endpoint, rnd);
      let reader = true;
      try {
        readInferenceRequest(path, Buffer.from(JSON.stringify(b)), LIMITS);
      } catch (err) {
        if (!(err instanceof OpenAiError) || err.status !== 400) throw err;
        reader = false;
      }
      const schema = SCHEMAS[endpoint as keyof typeof SCHEMAS].safeParse(JSON.parse(JSON.stringify(b))).success;
      if (reader) accepted++;
      if (reader !== schema) disagreements.push(`${endpoint} reader=${reader} schema=${schema} ${JSON.stringify(b)}`);
    }
    console.log(
      `v1 schemas: ${RUNS} generated bodies, ${accepted} accepted by both, ${RUNS - accepted - disagreements.length} refused by both, ${disagreements.length} disagreements`,
    );
    expect(disagreements.slice(0, 5)).toEqual([]);
    // The corpus reaches both sides of the rules, or agreeing would prove nothing.
    expect(accepted).toBeGreaterThan(RUNS / 10);
    expect(accepted).toBeLessThan(RUNS * 0.9);
  });

  it('what the official SDK receives matches the documented response schemas, chunk by chunk', async () => {
    const check = (name: keyof typeof v1ResponseSchemas, value: unknown) => {
      const result = v1ResponseSchemas[name].safeParse(value);
      if (!result.success) throw new Error(`${name}: ${z.prettifyError(result.error)}`);
    };
    const stream = await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    let chunks = 0;
    for await (const chunk of stream) {
      check('ChatCompletionChunk', chunk);
      chunks++;
    }
    check('ChatCompletion', await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }));
    check('Completion', await dev.openai.completions.create({ model: MODEL, prompt: 'Once upon a time' }));
    for await (const chunk of await dev.openai.completions.create({ model: MODEL, prompt: 'Once', stream: true })) check('Completion', chunk);
    check('CreateEmbeddingResponse', await dev.openai.embeddings.create({ model: MODEL, input: ['a', 'b'] }));
    check('ImagesResponse', await dev.openai.images.generate({ model: MODEL, prompt: 'a lighthouse', n: 1 }));
    const refused = await fetch(`${h.t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dev.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [] }),
    });
    expect(refused.status).toBe(400);
    check('Error', await refused.json());
    console.log(`v1 schemas: ${chunks} streamed chat chunks and 5 other responses matched their schemas`);
  });
});
