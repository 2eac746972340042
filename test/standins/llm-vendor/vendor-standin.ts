import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { json, readBody } from '../gpu-engine/engine-standin';

/**
 * An upstream LLM API vendor speaking the OpenAI protocol under `{url}/v1`, with the quirks the
 * gateway must handle at the edge:
 * - every request needs `Authorization: Bearer <apiKey>` (401 in the vendor's own shape otherwise,
 *   echoing a prefix of the key presented, as some vendors do);
 * - streams carry usage only when asked (`stream_options.include_usage`);
 * - `rateLimitSeconds`: 429 with `Retry-After` and a FastAPI-style `{detail}` body;
 * - `refuseWith`: a 400 in the `{error: "…"}` shape instead of OpenAI's `{error: {message}}`;
 * - its model names differ from ours (the router maps them).
 */
export interface VendorStandin {
  url: string;
  /** The base URL an admin registers (`…/v1`). */
  baseUrl: string;
  /** The key it accepts; change it to model a rotation at the vendor. */
  apiKey: string;
  /** Authorization headers seen, on every path. */
  authorizations: string[];
  /** Chat requests answered 2xx (and what they asked for). */
  served: Array<{ model: string; stream: boolean; includeUsage: boolean }>;
  probes: number;
  rateLimitSeconds: number | null;
  refuseWith: string | null;
  down: boolean;
  close(): Promise<void>;
}

const WORDS = ['Hi', ' from', ' the', ' vendor', '.'];

export async function startVendor(options: { models: string[]; apiKey: string }): Promise<VendorStandin> {
  const sockets = new Set<Socket>();
  const vendor: VendorStandin = {
    url: '',
    baseUrl: '',
    apiKey: options.apiKey,
    authorizations: [],
    served: [],
    probes: 0,
    rateLimitSeconds: null,
    refuseWith: null,
    down: false,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    const auth = req.headers.authorization ?? '';
    vendor.authorizations.push(auth);
    if (vendor.down) return json(res, 503, { message: 'service unavailable' });
    if (auth !== `Bearer ${vendor.apiKey}`) return json(res, 401, { error: `Incorrect API key provided: ${auth.slice(7, 15)}****` });
    if (req.method === 'GET' && path === '/v1/models') {
      vendor.probes++;
      return json(res, 200, { object: 'list', data: options.models.map((id) => ({ id, object: 'model', owned_by: 'vendor' })) });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') return json(res, 404, { detail: 'Not Found' });
    const body = JSON.parse(await readBody(req)) as { model: string; stream?: boolean; stream_options?: { include_usage?: boolean } };
    if (vendor.rateLimitSeconds !== null) {
      res.setHeader('retry-after', String(vendor.rateLimitSeconds));
      return json(res, 429, { detail: 'Rate limit exceeded, slow down' });
    }
    if (vendor.refuseWith !== null) return json(res, 400, { error: vendor.refuseWith });
    if (!options.models.includes(body.model)) return json(res, 404, { detail: [{ loc: ['body', 'model'], msg: `unknown model ${body.model}` }] });
    const includeUsage = body.stream_options?.include_usage === true;
    vendor.served.push({ model: body.model, stream: body.stream === true, includeUsage });
    const usage = { prompt_tokens: 11, completion_tokens: WORDS.length, total_tokens: 11 + WORDS.length };
    const id = `vendor-${vendor.served.length}`;
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream)
      return json(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: WORDS.join('') }, finish_reason: 'stop' }],
        usage,
      });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (delta: object, finish: string | null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    for (const w of WORDS) res.write(chunk({ content: w }, null));
    res.write(chunk({}, 'stop'));
    // The quirk: usage only when asked.
    if (includeUsage) res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  }

  const server: Server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  vendor.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  vendor.baseUrl = `${vendor.url}/v1`;
  return vendor;
}
