import { countTokens } from 'gpt-tokenizer/cjs/encoding/cl100k_base';
import { createHash } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { seededRandom } from '../../../src/nodes/trust/probes/probe-prompts';
import { json, readBody } from './engine-standin';

/**
 * An OpenAI-compatible engine (the protocol vLLM and llama.cpp server speak) that behaves like a
 * real model under greedy decoding: its answer is a function of (model, messages, max_tokens),
 * so two honest nodes of one model give the same text, and another model gives another text.
 * It counts its own output with cl100k (what the test maps its models to) and reports usage as an
 * engine does (plus one end-of-sequence token when it finished by itself).
 *
 * Dishonest and imperfect behaviours, each off by default:
 * - `substitute`: answers as another model (a cheaper model passed off as the registered one);
 * - `divergence`: honest numerical noise — with this probability an answer leaves the greedy
 *   path at a word position in [minWord, maxWord] (another GPU, batch size or kernel);
 * - `reportFactor`: reports completion_tokens × this (inflating > 1, under-reporting < 1);
 * - `prefix`: text every answer starts with (a canary for the privacy checks).
 */
export interface ModelStandin {
  url: string;
  name: string;
  requests: number;
  substitute: string | null;
  divergence: { probability: number; minWord: number; maxWord: number } | null;
  reportFactor: number;
  prefix: string;
  /** Answers given, newest last (at most 50): for the test to look for them where they must not be. */
  answers: string[];
  close(): Promise<void>;
}

/** Common English words that are one cl100k token each with their leading space. */
const VOCABULARY = (
  'the of and to in is was for on that with as by at from his her they this had not are but be have were which one all their there an ' +
  'been has when who will more no if out so said what up its about into than them can only other new some could time these two may then ' +
  'do first any my now such like our over man me even most made after also did many before must through back years where much your way ' +
  'well down should because each just those people how too little state good very make world still own see men work long get here between ' +
  'both life being under never day same another know while last might us great old year off come since against go came right used take ' +
  'three house light water night city story river garden morning window table paper music friend school small large open early green'
).split(' ');

const hashSeed = (text: string) => createHash('sha256').update(text).digest().readUInt32BE(0);

/** The greedy answer of `model` to these messages: deterministic, model-specific. */
export function greedyAnswer(model: string, messages: unknown, maxTokens: number, diverge: { at: number; seed: number } | null = null): { text: string; finished: boolean } {
  const random = seededRandom(hashSeed(`${model}\u0000${JSON.stringify(messages)}`));
  const natural = 24 + Math.floor(random() * 40);
  const other = diverge ? seededRandom(diverge.seed) : null;
  const words: string[] = [];
  for (let i = 0; i < natural; i++) {
    const r = random();
    words.push(VOCABULARY[Math.floor((other && i >= (diverge as { at: number }).at ? other() : r) * VOCABULARY.length)]);
  }
  let n = Math.min(natural, maxTokens);
  while (n > 0 && countTokens(` ${words.slice(0, n).join(' ')}`) > maxTokens) n--;
  const text = words
    .slice(0, n)
    .map((w, i) => (i === 0 ? w[0].toUpperCase() + w.slice(1) : ` ${w}`))
    .join('');
  return { text, finished: n === natural };
}

export async function startModelStandin(options: { models: string[]; name: string; seed?: number }): Promise<ModelStandin> {
  const sockets = new Set<Socket>();
  const noise = seededRandom(options.seed ?? hashSeed(options.name));
  // eslint-disable-next-line prefer-const -- assigned below, after the handlers that close over it
  let server: Server;
  const engine: ModelStandin = {
    url: '',
    name: options.name,
    requests: 0,
    substitute: null,
    divergence: null,
    reportFactor: 1,
    prefix: '',
    answers: [],
    async close() {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise((r) => server.close(r));
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models')
      return json(res, 200, { object: 'list', data: options.models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: options.name })) });
    if (req.method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/v1/completions'))
      return json(res, 404, { error: { message: 'not found', type: 'invalid_request_error', code: null } });
    engine.requests++;
    const body = JSON.parse(await readBody(req)) as {
      model: string;
      stream?: boolean;
      stream_options?: { include_usage?: boolean };
      messages?: { content?: unknown }[];
      prompt?: unknown;
      max_tokens?: number;
    };
    if (!options.models.includes(body.model))
      return json(res, 404, { error: { message: `model ${body.model} not found`, type: 'invalid_request_error', code: 'model_not_found' } });
    const input = path === '/v1/chat/completions' ? body.messages : body.prompt;
    const d = engine.divergence;
    const diverge = d && noise() < d.probability ? { at: d.minWord + Math.floor(noise() * (d.maxWord - d.minWord + 1)), seed: Math.floor(noise() * 2 ** 31) } : null;
    const answer = greedyAnswer(engine.substitute ?? body.model, input, Math.max(1, (body.max_tokens ?? 256) - countTokens(engine.prefix)), diverge);
    const text = engine.prefix + answer.text;
    engine.answers.push(text);
    if (engine.answers.length > 50) engine.answers.shift();
    const honest = countTokens(text) + (answer.finished ? 1 : 0);
    const promptText = typeof input === 'string' ? input : JSON.stringify(input ?? '');
    const usage = { prompt_tokens: countTokens(promptText), completion_tokens: Math.round(honest * engine.reportFactor), total_tokens: 0 };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const id = `cmpl-${options.name}-${engine.requests}`;
    const created = Math.floor(Date.now() / 1000);
    const finish = answer.finished ? 'stop' : 'length';
    const chat = path === '/v1/chat/completions';
    if (!body.stream) {
      const choice = chat ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: finish } : { index: 0, text, finish_reason: finish, logprobs: null };
      return json(res, 200, { id, object: chat ? 'chat.completion' : 'text_completion', created, model: body.model, choices: [choice], usage });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (content: string | null, finishReason: string | null) =>
      `data: ${JSON.stringify({ id, object: chat ? 'chat.completion.chunk' : 'text_completion', created, model: body.model, choices: [chat ? { index: 0, delta: content === null ? {} : { content }, finish_reason: finishReason } : { index: 0, text: content ?? '', finish_reason: finishReason }] })}\n\n`;
    if (chat) res.write(chunk('', null));
    for (const piece of text.split(/(?= )/)) res.write(chunk(piece, null));
    res.write(chunk(null, finish));
    if (body.stream_options?.include_usage) res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  }

  server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  engine.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return engine;
}
