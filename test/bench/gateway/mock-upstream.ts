/**
 * The upstream of `npm run bench:gateway`: an OpenAI-compatible engine on plain node:http that
 * answers every chat completion at once (no think time), so what is measured is the path, not a
 * model. Streamed: CHUNKS content events, the usage event, `[DONE]`, written as one buffer.
 * Runs in its own process: `node -r ts-node/register/transpile-only mock-upstream.ts <port> <chunks>`.
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 18180);
const chunks = Number(process.argv[3] ?? 20);

function stream(): Buffer {
  const events: string[] = [];
  const head = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'bench' };
  for (let i = 0; i < chunks; i++) events.push(`data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: { content: 'tok ' }, finish_reason: null }] })}\n\n`);
  events.push(`data: ${JSON.stringify({ ...head, choices: [], usage: { prompt_tokens: 8, completion_tokens: chunks, total_tokens: 8 + chunks } })}\n\n`);
  events.push('data: [DONE]\n\n');
  return Buffer.from(events.join(''));
}

const STREAM = stream();
const JSON_BODY = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'bench',
    choices: [{ index: 0, message: { role: 'assistant', content: 'tok '.repeat(chunks) }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 8, completion_tokens: chunks, total_tokens: 8 + chunks },
  }),
);

const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body.length < 1 << 20 ? (body += c) : undefined));
  req.on('end', () => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[]}');
      return;
    }
    const streamed = body.includes('"stream":true');
    if (!streamed) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': JSON_BODY.length }).end(JSON_BODY);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }).end(STREAM);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`ready ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
