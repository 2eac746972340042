import { z } from 'zod';
import { RequestLimits } from '../openai/openai-request';

/**
 * The `/v1` request and response shapes as schemas (OpenAI's, as far as Tollgate reads or relays
 * them). They describe the API in the OpenAPI document (`v1-openapi.ts`); the hot path keeps its
 * own hand-written reader (`readInferenceRequest`, no allocation beyond the parse), and a test
 * feeds both the same bodies so the two cannot disagree (`test/inference/v1-schemas.e2e.spec.ts`).
 * Requests are loose objects: fields Tollgate does not read (temperature, tools, …) are forwarded
 * to the node unchanged.
 */
const int = (min: number, max: number) => z.int().min(min).max(max);
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

/** Only the body's depth is bounded beyond these (REQUEST_JSON_MAX_DEPTH, `limits.maxJsonDepth`). */
function common(maxN: number) {
  return {
    model: z.string().min(1).max(200).describe('A model id from GET /v1/models.'),
    n: maybe(int(1, maxN)),
    stream_options: maybe(z.looseObject({ include_usage: z.boolean().optional() })),
    stop: maybe(z.union([z.string(), z.array(z.string())])),
  };
}

export function v1RequestSchemas(limits: RequestLimits) {
  return {
    'chat.completions': z.looseObject({
      ...common(limits.maxChoices),
      messages: z
        .array(z.looseObject({ role: z.string() }))
        .min(1)
        .max(limits.maxMessages),
      stream: z.boolean().optional(),
      max_tokens: maybe(int(1, limits.maxOutputTokens)),
      max_completion_tokens: maybe(int(1, limits.maxOutputTokens)),
    }),
    completions: z.looseObject({
      ...common(limits.maxChoices),
      prompt: z.union([z.string(), z.array(z.unknown()).min(1).max(limits.maxMessages)]),
      stream: z.boolean().optional(),
      max_tokens: maybe(int(1, limits.maxOutputTokens)),
    }),
    embeddings: z.looseObject({
      ...common(limits.maxChoices),
      input: z.union([z.string().min(1), z.array(z.unknown()).min(1).max(limits.maxEmbeddingInputs)]),
      stream: z.literal(false).optional().describe('Embeddings are never streamed.'),
    }),
    'images.generations': z.looseObject({
      ...common(limits.maxImages),
      prompt: z.string().min(1).max(32_000),
      stream: z.literal(false).optional().describe('Images are never streamed here.'),
    }),
  } as const;
}

const usage = z.looseObject({ prompt_tokens: z.int().min(0), completion_tokens: z.int().min(0).optional(), total_tokens: z.int().min(0) });
const finishReason = z.string().nullable();

export const v1ResponseSchemas = {
  ChatCompletion: z.looseObject({
    id: z.string(),
    object: z.literal('chat.completion'),
    created: z.int(),
    model: z.string(),
    choices: z.array(z.looseObject({ index: z.int(), message: z.looseObject({ role: z.literal('assistant'), content: z.string().nullable() }), finish_reason: finishReason })),
    usage: usage.optional(),
  }),
  ChatCompletionChunk: z.looseObject({
    id: z.string(),
    object: z.literal('chat.completion.chunk'),
    created: z.int(),
    model: z.string(),
    choices: z.array(
      z.looseObject({ index: z.int(), delta: z.looseObject({ role: z.string().optional(), content: z.string().nullable().optional() }), finish_reason: finishReason }),
    ),
    usage: usage.nullable().optional().describe('Only on the last chunk, and only when stream_options.include_usage was true.'),
  }),
  Completion: z.looseObject({
    id: z.string(),
    object: z.literal('text_completion'),
    created: z.int(),
    model: z.string(),
    choices: z.array(z.looseObject({ index: z.int(), text: z.string(), finish_reason: finishReason })),
    usage: usage.nullable().optional(),
  }),
  CreateEmbeddingResponse: z.looseObject({
    object: z.literal('list'),
    model: z.string(),
    data: z.array(z.looseObject({ object: z.literal('embedding'), index: z.int(), embedding: z.union([z.array(z.number()), z.string()]) })),
    usage: z.looseObject({ prompt_tokens: z.int().min(0), total_tokens: z.int().min(0) }),
  }),
  ImagesResponse: z.looseObject({
    created: z.int(),
    data: z.array(z.looseObject({ url: z.string().optional(), b64_json: z.string().optional() })),
  }),
  Error: z.object({
    error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string().nullable() }),
  }),
} as const;
