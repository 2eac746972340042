import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';

/**
 * An OpenAI-compatible inference engine (what vLLM, Ollama or llama.cpp server speak), enough for
 * the gateway and the node agent: GET /v1/models, POST /v1/chat/completions with and without
 * `stream` (SSE `data: {…}` chunks, a usage chunk when `stream_options.include_usage`, then
 * `data: [DONE]`). It can be made to fail (an HTTP status, or cut mid-stream) and be killed.
 */
export interface EngineStandin {
  url: string;
  port: number;
  /** Chat requests received. */
  requests: number;
  /** Authorization headers seen (to prove the gateway's credential is not passed on). */
  authorizations: (string | undefined)[];
  /** The framing of the last request's body as the engine got it (a tunnelled request must arrive sized, like any other). */
  lastBodyFraming: { contentLength: string | null; transferEncoding: string | null } | null;
  /** Answer every chat request with this status (null = answer normally). */
  failWith: number | null;
  /** Send this many content chunks, then cut the connection. */
  cutAfterChunks: number | null;
  /** Delay between chunks. */
  chunkDelayMs: number;
  /** Answer with the last user message's text (the canary test: a prompt comes back as completion). */
  echo: boolean;
  /** Leave the usage chunk out even when asked (the gateway must then count what it delivered). */
  omitUsage: boolean;
  kill(): Promise<void>;
  /** Listen again on the same port after kill(). */
  revive(): Promise<void>;
  close(): Promise<void>;
}

const WORDS = ['Hello', ' from', ' the', ' engine', '.'];

export async function startEngine(options: { models: string[]; name: string; port?: number }): Promise<EngineStandin> {
  const sockets = new Set<Socket>();
  let server: Server;
  const engine: EngineStandin = {
    url: '',
    port: options.port ?? 0,
    requests: 0,
    authorizations: [],
    lastBodyFraming: null,
    failWith: null,
    cutAfterChunks: null,
    chunkDelayMs: 0,
    echo: false,
    omitUsage: false,
    async kill() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
    async revive() {
      await listen();
    },
    async close() {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise((r) => server.close(r));
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      return json(res, 200, { object: 'list', data: options.models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: options.name })) });
    }
    const known = ['/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/images/generations'];
    if (req.method !== 'POST' || !known.includes(path)) return json(res, 404, { error: { message: 'not found', type: 'invalid_request_error', code: null } });
    engine.requests++;
    engine.authorizations.push(req.headers.authorization);
    engine.lastBodyFraming = { contentLength: req.headers['content-length'] ?? null, transferEncoding: req.headers['transfer-encoding'] ?? null };
    const body = JSON.parse(await readBody(req)) as {
      model: string;
      stream?: boolean;
      stream_options?: { include_usage?: boolean };
      messages?: { content?: unknown }[];
      prompt?: unknown;
      input?: unknown;
      n?: number;
    };
    if (engine.failWith !== null) return json(res, engine.failWith, { error: { message: 'engine failure', type: 'server_error', code: null } });
    if (!options.models.includes(body.model))
      return json(res, 404, { error: { message: `model ${body.model} not found`, type: 'invalid_request_error', code: 'model_not_found' } });
    const created0 = Math.floor(Date.now() / 1000);
    if (path === '/v1/embeddings') {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      return json(res, 200, {
        object: 'list',
        model: body.model,
        data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2, 0.3] })),
        usage: { prompt_tokens: 3 * inputs.length, total_tokens: 3 * inputs.length },
      });
    }
    if (path === '/v1/images/generations') {
      return json(res, 200, { created: created0, data: Array.from({ length: body.n ?? 1 }, () => ({ b64_json: 'aW1hZ2U=' })) });
    }
    if (path === '/v1/completions' && body.stream) {
      // Legacy completions stream text_completion objects, the usage on the last one when asked for.
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-engine': options.name });
      for (const [i, text] of WORDS.entries())
        res.write(
          `data: ${JSON.stringify({ id: `cmpl-${engine.requests}`, object: 'text_completion', created: created0, model: body.model, choices: [{ index: 0, text, finish_reason: i === WORDS.length - 1 ? 'stop' : null, logprobs: null }] })}\n\n`,
        );
      if (body.stream_options?.include_usage)
        res.write(
          `data: ${JSON.stringify({ id: `cmpl-${engine.requests}`, object: 'text_completion', created: created0, model: body.model, choices: [], usage: { prompt_tokens: 4, completion_tokens: WORDS.length, total_tokens: 4 + WORDS.length } })}\n\n`,
        );
      res.end('data: [DONE]\n\n');
      return;
    }
    if (path === '/v1/completions') {
      return json(res, 200, {
        id: `cmpl-${engine.requests}`,
        object: 'text_completion',
        created: created0,
        model: body.model,
        choices: [{ index: 0, text: WORDS.join(''), finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: 4, completion_tokens: WORDS.length, total_tokens: 4 + WORDS.length },
      });
    }
    const last = body.messages?.[body.messages.length - 1]?.content;
    const words = engine.echo && typeof last === 'string' ? last.split(/(?= )/) : WORDS;
    const id = `chatcmpl-${options.name}-${engine.requests}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = { prompt_tokens: 7, completion_tokens: words.length, total_tokens: 7 + words.length };
    if (!body.stream) {
      return json(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: words.join('') }, finish_reason: 'stop' }],
        usage,
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-engine': options.name });
    const chunk = (delta: object, finish: string | null, extra: object = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
    res.write(chunk({ role: 'assistant', content: '' }, null));
    for (let i = 0; i < words.length; i++) {
      if (engine.chunkDelayMs > 0) await new Promise((r) => setTimeout(r, engine.chunkDelayMs));
      if (engine.cutAfterChunks !== null && i >= engine.cutAfterChunks) {
        res.socket?.destroy();
        return;
      }
      res.write(chunk({ content: words[i] }, null));
    }
    res.write(chunk({}, 'stop'));
    if (body.stream_options?.include_usage && !engine.omitUsage)
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  }

  async function listen(): Promise<void> {
    server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(engine.port, '127.0.0.1', r));
    engine.port = (server.address() as AddressInfo).port;
    engine.url = `http://127.0.0.1:${engine.port}`;
  }

  await listen();
  return engine;
}

export function json(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}
