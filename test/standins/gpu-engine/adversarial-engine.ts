import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { json, readBody } from './engine-standin';

/**
 * A dishonest (or merely broken) OpenAI-compatible engine, for the node-trust tests. It speaks the
 * same protocol as test/standins/gpu-engine/engine-standin.ts (GET /v1/models; POST chat/completions streamed and
 * not, completions, embeddings, images) but can lie about usage, send malformed usage, return
 * more images than asked, stream a lot or slowly, and stall mid-stream with the connection open.
 * Every behaviour can be changed between requests.
 */
export type UsageLie =
  | { kind: 'honest' }
  /** Reports these counts whatever it generated. */
  | { kind: 'claim'; promptTokens: unknown; completionTokens: unknown }
  /** Leaves `field` out of the usage object. */
  | { kind: 'omit-field'; field: 'prompt_tokens' | 'completion_tokens' }
  /** No usage at all, even when asked. */
  | { kind: 'none' };

export interface AdversarialEngine {
  url: string;
  requests: number;
  usage: UsageLie;
  /** Content chunks per streamed choice, and the text of each (one token each when honest). */
  chunks: number;
  chunkText: string;
  chunkDelayMs: number;
  /** After this many content chunks, send nothing more and keep the connection open. */
  stallAfterChunks: number | null;
  /** Images returned beyond the `n` asked for. */
  extraImages: number;
  /** Embeddings usage carries this completion_tokens (a real one has none). */
  embeddingCompletionTokens: number | null;
  close(): Promise<void>;
}

/** What an honest engine reports as prompt tokens for any prompt. */
export const HONEST_PROMPT_TOKENS = 7;

export async function startAdversarialEngine(options: { models: string[]; name: string }): Promise<AdversarialEngine> {
  const sockets = new Set<Socket>();
  const engine: AdversarialEngine = {
    url: '',
    requests: 0,
    usage: { kind: 'honest' },
    chunks: 5,
    chunkText: ' word',
    chunkDelayMs: 0,
    stallAfterChunks: null,
    extraImages: 0,
    embeddingCompletionTokens: null,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };

  const usageFor = (promptTokens: number, completionTokens: number): Record<string, unknown> | null => {
    const u = engine.usage;
    switch (u.kind) {
      case 'honest':
        return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
      case 'claim':
        return { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: 0 };
      case 'omit-field': {
        const all: Record<string, unknown> = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
        delete all[u.field];
        return all;
      }
      case 'none':
        return null;
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models')
      return json(res, 200, { object: 'list', data: options.models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: options.name })) });
    if (req.method !== 'POST') return json(res, 404, { error: { message: 'not found', type: 'invalid_request_error', code: null } });
    engine.requests++;
    const body = JSON.parse(await readBody(req)) as { model: string; stream?: boolean; stream_options?: { include_usage?: boolean }; n?: number; input?: unknown };
    const created = Math.floor(Date.now() / 1000);
    const id = `chatcmpl-${options.name}-${engine.requests}`;
    if (path === '/v1/images/generations') {
      return json(res, 200, { created, data: Array.from({ length: (body.n ?? 1) + engine.extraImages }, () => ({ b64_json: 'aW1hZ2U=' })) });
    }
    if (path === '/v1/embeddings') {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      const usage = { ...usageFor(inputs.length, 0), ...(engine.embeddingCompletionTokens !== null ? { completion_tokens: engine.embeddingCompletionTokens } : {}) };
      return json(res, 200, { object: 'list', model: body.model, data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2] })), usage });
    }
    const text = engine.chunkText.repeat(engine.chunks);
    const usage = usageFor(HONEST_PROMPT_TOKENS, engine.chunks);
    if (path === '/v1/completions') {
      return json(res, 200, {
        id,
        object: 'text_completion',
        created,
        model: body.model,
        choices: [{ index: 0, text, finish_reason: 'stop', logprobs: null }],
        ...(usage ? { usage } : {}),
      });
    }
    if (!body.stream) {
      return json(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        ...(usage ? { usage } : {}),
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: object, finish: string | null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const write = async (s: string) => {
      if (res.write(s)) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done).off('close', done);
          resolve();
        };
        res.on('drain', done).on('close', done);
      });
    };
    await write(chunk({ role: 'assistant', content: '' }, null));
    for (let i = 0; i < engine.chunks; i++) {
      if (res.destroyed) return;
      if (engine.stallAfterChunks !== null && i >= engine.stallAfterChunks) return; // silent, connection left open
      if (engine.chunkDelayMs > 0) await new Promise((r) => setTimeout(r, engine.chunkDelayMs));
      await write(chunk({ content: engine.chunkText }, null));
    }
    await write(chunk({}, 'stop'));
    if (body.stream_options?.include_usage && usage)
      await write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  }

  const server: Server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  engine.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return engine;
}
