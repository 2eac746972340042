import { UsageEndpoint } from '../metering/usage.events';
import { OpenAiError } from '../platform/http/openai-errors';
import { nestsDeeperThan } from './body';

/** Limits on what a request may ask for; each refusal names the field and the limit. */
export interface RequestLimits {
  maxOutputTokens: number;
  /** Used (and sent upstream) when the client sets no max_tokens, so every charge is bounded. */
  defaultOutputTokens: number;
  maxMessages: number;
  maxChoices: number;
  maxEmbeddingInputs: number;
  maxImages: number;
  /** Deepest nesting of arrays and objects in the body (REQUEST_JSON_MAX_DEPTH). */
  maxJsonDepth: number;
  /** Prompt-bound tokens beyond the forwarded bytes, for what chat templates inject. */
  promptAllowanceTokens: number;
  /** Prompt-bound tokens per non-text content part (an image or audio a node expands). */
  mediaPartTokens: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  maxOutputTokens: 16_384,
  defaultOutputTokens: 1_024,
  maxMessages: 1_000,
  maxChoices: 8,
  maxEmbeddingInputs: 2_048,
  maxImages: 4,
  maxJsonDepth: 64,
  promptAllowanceTokens: 512,
  mediaPartTokens: 4_096,
};

/** What the gateway needs to know about a request; the body itself is forwarded, never kept. */
export interface InferenceRequest {
  endpoint: UsageEndpoint;
  /** Upstream path on the node. */
  path: string;
  model: string;
  stream: boolean;
  /** The client asked for the usage chunk (stream_options.include_usage). */
  clientWantsUsage: boolean;
  /** Upper bounds: the reservation and the most a node's report may be charged for. */
  maxInputTokens: number;
  /** The usual ≈4 characters a token: rate limits, and charging when a node reports no usage. */
  estimatedInputTokens: number;
  maxOutputTokens: number;
  images: number;
  /** Sequences generated (n, times the prompts of a completions batch). */
  choices: number;
  /** UTF-8 bytes of the longest stop string: generated, counted, but cut from the text relayed. */
  stopBytes: number;
  /** The JSON sent to the node (with stream_options.include_usage and a max_tokens bound). */
  upstreamBody: Buffer;
}

export const ENDPOINTS: Readonly<Record<string, UsageEndpoint>> = {
  '/v1/chat/completions': 'chat.completions',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
  '/v1/images/generations': 'images.generations',
};

const bad = (message: string, param: string | null, code = 'invalid_request_error') => new OpenAiError(400, message, 'invalid_request_error', code, param);

function integerIn(body: Record<string, unknown>, field: string, min: number, max: number): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw bad(`'${field}' must be an integer between ${min} and ${max}.`, field, 'invalid_value');
  return value;
}

/**
 * An upper bound of the prompt's tokens without a tokenizer: every token is at least one byte of
 * UTF-8 text and JSON escapes and punctuation only add bytes, so the forwarded body's size bounds
 * the text's tokens; chat templates add special tokens and default system prompts (the allowance),
 * and a node expands each image or audio part into many tokens (docs/trusting-nodes.md, "Bounds").
 */
const inputBound = (bytes: number, mediaParts: number, limits: RequestLimits) => bytes + limits.promptAllowanceTokens + mediaParts * limits.mediaPartTokens;

/** Content parts that are not text (image_url, input_audio, …) in chat messages. */
function mediaParts(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let parts = 0;
  for (const m of messages) {
    const content = (m as { content?: unknown } | null)?.content;
    if (Array.isArray(content)) for (const p of content) if ((p as { type?: unknown } | null)?.type !== 'text') parts++;
  }
  return parts;
}

function longestStopBytes(stop: unknown): number {
  const stops = typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop : [];
  return stops.reduce((max: number, s) => (typeof s === 'string' ? Math.max(max, Buffer.byteLength(s)) : max), 0);
}

/** Characters of text in the prompt fields (strings and text parts), without reading anything else. */
function textLength(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length;
  if (depth > 4 || typeof value !== 'object' || value === null) return 0;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + textLength(v, depth + 1), 0);
  const v = value as { content?: unknown; text?: unknown };
  return textLength(v.content, depth + 1) + textLength(v.text, depth + 1);
}

/** Parses and checks an OpenAI request body. Throws OpenAiError (400) with the offending param. */
export function readInferenceRequest(path: string, raw: Buffer, limits: RequestLimits): InferenceRequest {
  const endpoint = ENDPOINTS[path];
  if (nestsDeeperThan(raw, limits.maxJsonDepth)) throw bad(`The JSON body is nested deeper than ${limits.maxJsonDepth} levels.`, null, 'too_deep');
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw bad('We could not parse the JSON body of your request. The body must be a JSON object.', null);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('The body must be a JSON object.', null);
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model.length === 0 || b.model.length > 200) throw bad("'model' is required: a model id of 1..200 characters.", 'model');
  const stream = b.stream === true;
  if (b.stream !== undefined && typeof b.stream !== 'boolean') throw bad("'stream' must be a boolean.", 'stream');
  const streamOptions = b.stream_options;
  if (streamOptions !== undefined && streamOptions !== null && (typeof streamOptions !== 'object' || Array.isArray(streamOptions)))
    throw bad("'stream_options' must be an object.", 'stream_options');
  const includeUsage = (streamOptions as { include_usage?: unknown } | null | undefined)?.include_usage;
  if (includeUsage !== undefined && typeof includeUsage !== 'boolean') throw bad("'stream_options.include_usage' must be a boolean.", 'stream_options.include_usage');
  const clientWantsUsage = stream && includeUsage === true;
  if (b.stop !== undefined && b.stop !== null && typeof b.stop !== 'string' && !(Array.isArray(b.stop) && b.stop.every((s) => typeof s === 'string')))
    throw bad("'stop' must be a string or an array of strings.", 'stop');
  const n = integerIn(b, 'n', 1, endpoint === 'images.generations' ? limits.maxImages : limits.maxChoices) ?? 1;
  let maxOutputTokens = 0;
  let images = 0;
  let choices = n;

  switch (endpoint) {
    case 'chat.completions': {
      if (!Array.isArray(b.messages) || b.messages.length === 0) throw bad("'messages' must be a non-empty array.", 'messages');
      if (b.messages.length > limits.maxMessages) throw bad(`'messages' has ${b.messages.length} items; at most ${limits.maxMessages} are allowed.`, 'messages');
      for (const [i, m] of b.messages.entries()) {
        if (typeof m !== 'object' || m === null || typeof (m as { role?: unknown }).role !== 'string')
          throw bad(`'messages[${i}]' must be an object with a 'role'.`, `messages[${i}]`);
      }
      // Both are checked: a node may honour either.
      const completionTokens = integerIn(b, 'max_completion_tokens', 1, limits.maxOutputTokens);
      const asked = completionTokens ?? integerIn(b, 'max_tokens', 1, limits.maxOutputTokens);
      if (completionTokens !== undefined) integerIn(b, 'max_tokens', 1, limits.maxOutputTokens);
      maxOutputTokens = (asked ?? limits.defaultOutputTokens) * n;
      if (asked === undefined) b.max_tokens = limits.defaultOutputTokens;
      break;
    }
    case 'completions': {
      const prompt = b.prompt;
      if (typeof prompt !== 'string' && !(Array.isArray(prompt) && prompt.length > 0 && prompt.length <= limits.maxMessages))
        throw bad("'prompt' must be a string or a non-empty array of strings.", 'prompt');
      const asked = integerIn(b, 'max_tokens', 1, limits.maxOutputTokens);
      choices = n * (Array.isArray(prompt) ? prompt.length : 1);
      maxOutputTokens = (asked ?? limits.defaultOutputTokens) * choices;
      if (asked === undefined) b.max_tokens = limits.defaultOutputTokens;
      break;
    }
    case 'embeddings': {
      const input = b.input;
      const ok = (typeof input === 'string' && input.length > 0) || (Array.isArray(input) && input.length > 0 && input.length <= limits.maxEmbeddingInputs);
      if (!ok) throw bad(`'input' must be a non-empty string or an array of at most ${limits.maxEmbeddingInputs} items.`, 'input');
      if (stream) throw bad('Embeddings cannot be streamed.', 'stream');
      break;
    }
    case 'images.generations': {
      if (typeof b.prompt !== 'string' || b.prompt.length === 0 || b.prompt.length > 32_000) throw bad("'prompt' must be a string of 1..32000 characters.", 'prompt');
      if (stream) throw bad('Image generation cannot be streamed here.', 'stream');
      images = n;
      break;
    }
    default:
      throw new OpenAiError(404, `Unknown endpoint ${path}.`, 'invalid_request_error', 'unknown_url');
  }
  // Usage is always asked of the node; the client sees that chunk only if it asked too.
  if (stream) b.stream_options = { ...((streamOptions as object | null | undefined) ?? {}), include_usage: true };
  const promptChars = textLength(endpoint === 'chat.completions' ? b.messages : endpoint === 'embeddings' ? b.input : endpoint === 'completions' ? b.prompt : '');
  const upstreamBody = Buffer.from(JSON.stringify(b));
  return {
    endpoint,
    path,
    model: b.model,
    stream,
    clientWantsUsage,
    maxInputTokens: inputBound(upstreamBody.length, endpoint === 'chat.completions' ? mediaParts(b.messages) : 0, limits),
    estimatedInputTokens: Math.ceil(promptChars / 4),
    maxOutputTokens,
    images,
    choices,
    stopBytes: longestStopBytes(b.stop),
    upstreamBody,
  };
}
