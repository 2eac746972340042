import { openApiSchema } from '../platform/http/schema/json-schema';
import { DEFAULT_REQUEST_LIMITS, RequestLimits } from '../openai/openai-request';
import { v1RequestSchemas, v1ResponseSchemas } from './v1-schemas';

/**
 * `/v1` in the OpenAPI document. The inference routes are served on the raw HTTP server ahead of
 * Nest, so Nest's scanner never sees them: their operations are written here from the same zod
 * schemas the tests hold the hot path to.
 */
type Json = Record<string, unknown>;

export const V1_SECURITY_SCHEME = 'apiKey';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const header = (description: string, type = 'string') => ({ description, schema: { type } });

const REQUEST_ID = header('Our id of this request (`req_…`): quote it to support; usage records carry it.');
const RATE_LIMIT_HEADERS = Object.fromEntries(
  ['requests', 'tokens'].flatMap((what) => [
    [`x-ratelimit-limit-${what}`, header(`The key's ${what} per minute.`, 'integer')],
    [`x-ratelimit-remaining-${what}`, header(`${what} left in this minute.`, 'integer')],
    [`x-ratelimit-reset-${what}`, header('When the window resets (e.g. `12s`).')],
  ]),
);

const ERRORS: [number, string][] = [
  [400, 'The body is invalid; `error.param` names the field (values are never echoed back).'],
  [401, 'No API key, or an unknown, revoked or expired one.'],
  [402, 'Not enough credits for this request (`insufficient_quota`).'],
  [403, 'The account is suspended or restricted, or the key may not use this model.'],
  [404, 'Unknown model, or no live node serves it.'],
  [409, 'The Idempotency-Key was used already, or its request is still running.'],
  [413, 'The body is larger than the limit.'],
  [429, 'A rate limit was reached; wait `Retry-After` seconds.'],
  [502, 'The node failed after the stream had begun (you are charged only for what was delivered).'],
  [503, 'No node could take the request now, or credits cannot be checked; retry after `Retry-After`.'],
  [504, 'The node did not answer in time.'],
];

function errorResponses(): Json {
  return Object.fromEntries(
    ERRORS.map(([status, description]) => [
      String(status),
      {
        description,
        headers: { 'x-request-id': REQUEST_ID, ...(status === 429 || status === 503 ? { 'Retry-After': header('Seconds to wait before retrying.', 'integer') } : {}) },
        content: { 'application/json': { schema: ref('OpenAiError') } },
      },
    ]),
  );
}

interface Operation {
  path: string;
  operationId: string;
  summary: string;
  request: string;
  response: string;
  streams?: string;
}

const OPERATIONS: Operation[] = [
  {
    path: '/v1/chat/completions',
    operationId: 'createChatCompletion',
    summary: 'A chat completion, streamed with `stream: true`',
    request: 'CreateChatCompletionRequest',
    response: 'ChatCompletion',
    streams: 'ChatCompletionChunk',
  },
  {
    path: '/v1/completions',
    operationId: 'createCompletion',
    summary: 'A text completion, streamed with `stream: true`',
    request: 'CreateCompletionRequest',
    response: 'Completion',
    streams: 'Completion',
  },
  { path: '/v1/embeddings', operationId: 'createEmbedding', summary: 'Embeddings of one or more inputs', request: 'CreateEmbeddingRequest', response: 'CreateEmbeddingResponse' },
  { path: '/v1/images/generations', operationId: 'createImage', summary: 'Images from a prompt, priced per image', request: 'CreateImageRequest', response: 'ImagesResponse' },
];

function operation(op: Operation): Json {
  const content: Json = { 'application/json': { schema: ref(op.response) } };
  if (op.streams) {
    content['text/event-stream'] = {
      schema: {
        type: 'string',
        description: `Server-sent events: \`data: <${op.streams} JSON>\` per chunk, then \`data: [DONE]\`. Each chunk follows #/components/schemas/${op.streams}. The request is charged before \`[DONE]\` is sent.`,
      },
      // Each event's schema, machine-readable (OpenAPI 3.2 calls this itemSchema; 3.1 has no word for it).
      'x-event-schema': ref(op.streams),
    };
  }
  return {
    post: {
      operationId: op.operationId,
      summary: op.summary,
      tags: ['inference'],
      security: [{ [V1_SECURITY_SCHEME]: [] }],
      parameters: [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'For non-streamed requests: a repeat within 24 hours is refused (409) and never charged twice.',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
      ],
      requestBody: { required: true, content: { 'application/json': { schema: ref(op.request) } } },
      responses: {
        '200': { description: 'The completion, relayed from the node that served it.', headers: { 'x-request-id': REQUEST_ID, ...RATE_LIMIT_HEADERS }, content },
        ...errorResponses(),
      },
    },
  };
}

/** Paths, schemas and the bearer scheme for `/v1`, to merge into the document Nest generates. */
export function v1OpenApi(limits: RequestLimits = DEFAULT_REQUEST_LIMITS): { paths: Json; schemas: Json; securitySchemes: Json } {
  const requests = v1RequestSchemas(limits);
  const schemas: Json = {
    CreateChatCompletionRequest: openApiSchema(requests['chat.completions'], 'input'),
    CreateCompletionRequest: openApiSchema(requests.completions, 'input'),
    CreateEmbeddingRequest: openApiSchema(requests.embeddings, 'input'),
    CreateImageRequest: openApiSchema(requests['images.generations'], 'input'),
    OpenAiError: openApiSchema(v1ResponseSchemas.Error, 'output'),
  };
  for (const [name, schema] of Object.entries(v1ResponseSchemas)) if (name !== 'Error') schemas[name] = openApiSchema(schema, 'output');
  return {
    paths: Object.fromEntries(OPERATIONS.map((op) => [op.path, operation(op)])),
    schemas,
    securitySchemes: { [V1_SECURITY_SCHEME]: { type: 'http', scheme: 'bearer', description: 'An API key (`tg_live_…`), as the OpenAI SDKs send it.' } },
  };
}

/**
 * Adds `/v1` to the document Nest generated and declares it OpenAPI 3.1 (JSON Schema 2020-12, the
 * dialect of the zod schemas; what Nest writes is valid under 3.1 too).
 */
export function addV1(document: { openapi: string; paths: Json; components?: { schemas?: Json; securitySchemes?: Json } }, limits: RequestLimits): void {
  const v1 = v1OpenApi(limits);
  document.openapi = '3.1.0';
  document.paths = { ...v1.paths, ...document.paths };
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...v1.schemas },
    securitySchemes: { ...document.components?.securitySchemes, ...v1.securitySchemes },
  };
}
