import { request as httpRequest } from 'node:http';
import { TunnelHub } from '../../src/nodes/tunnel/tunnel-hub';
import { NodesService } from '../../src/nodes/nodes.service';
import { NodeProber } from '../../src/nodes/trust/probes/node-prober';
import { InferenceHarness, MODEL, ctx, startInferenceHarness } from '../inference/harness';
import { eventually } from '../support/eventually';

/** The usage events of a developer: request id → statuses (more than one would be a double charge). */
async function usageByRequest(h: InferenceHarness, accountId: string): Promise<Map<string, string[]>> {
  await h.t.caughtUp();
  const { rows } = await h.t.database.pool.query<{ request_id: string; status: string }>(
    `SELECT data->>'requestId' AS request_id, data->>'status' AS status FROM events WHERE stream LIKE $1 AND event_type = 'UsageRecorded'`,
    [`usage-${accountId}-%`],
  );
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.request_id, [...(out.get(r.request_id) ?? []), r.status]);
  return out;
}

/** A raw tunnel handshake: the status the gateway answers (101 = upgraded). */
function handshake(url: string, authorization: string | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { connection: 'Upgrade', upgrade: 'tollgate-tunnel' };
    if (authorization) headers.authorization = authorization;
    const req = httpRequest(`${url}/nodes/tunnel`, { headers });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('nodes behind NAT: the agent dials out (--tunnel)', () => {
  let h: InferenceHarness;

  beforeAll(async () => {
    h = await startInferenceHarness('nodes_tunnel', { tunnel: true });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('serves streamed completions through the tunnel only (nothing listens where the gateway could dial), each charged once', async () => {
    expect(h.agents[0].status().url).toBeNull();
    expect(h.t.app.get(TunnelHub).holds(h.nodeIds[0])).toBe(true);
    const dev = await h.developer(5n, { requestsPerMinute: 10_000 });
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const { data: stream, response } = await dev.openai.chat.completions
          .create({ model: MODEL, messages: [{ role: 'user', content: `hello ${i}` }], stream: true }, {})
          .withResponse();
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        expect(text.length).toBeGreaterThan(0);
        ids.push(response.headers.get('x-request-id') ?? '');
      }),
    );
    const usage = await usageByRequest(h, dev.accountId);
    console.log(`tunnel: ${ids.length} streamed completions, ${[...usage.values()].flat().length} UsageRecorded events, engine saw ${h.engines[0].requests}`);
    for (const id of ids) expect(usage.get(id)).toEqual(['completed']);
    expect(usage.size).toBe(ids.length);
    // Sized, as from a public node (some engines' servers refuse chunked request bodies).
    expect(h.engines[0].lastBodyFraming).toEqual({ contentLength: expect.stringMatching(/^\d+$/), transferEncoding: null });
  }, 30_000);

  it("the worker's prober (it holds no tunnel) reaches the tunnelled node over the relay hop", async () => {
    const before = h.engines[0].requests;
    const summary = await h.t.app.get(NodeProber).runRound();
    console.log(`a probe round over the tunnel: ${JSON.stringify(summary)}; the engine saw ${h.engines[0].requests - before} probe`);
    // One node is no quorum (inconclusive), but the probe reached the engine and was answered.
    expect({ models: summary.models, unanswered: summary.unanswered, atEngine: h.engines[0].requests - before }).toEqual({ models: 1, unanswered: 0, atEngine: 1 });
  }, 20_000);

  it('a tunnel that drops mid-run (twice) reconnects; every completed response is charged once, none twice', async () => {
    const dev = await h.developer(5n, { requestsPerMinute: 100_000 });
    const agent = h.agents[0];
    const hub = h.t.app.get(TunnelHub);
    h.engines[0].chunkDelayMs = 60; // ~300 ms a stream after its headers: drops land mid-stream
    const connectsBefore = agent.tunnel!.connects;
    const outcome = new Map<string, 'done' | 'error'>();
    let refusedBeforeAnyByte = 0;
    const one = async (i: number) => {
      let requestId = '';
      try {
        const { data: stream, response } = await dev.openai.chat.completions
          .create({ model: MODEL, messages: [{ role: 'user', content: `run ${i}` }], stream: true })
          .withResponse();
        requestId = response.headers.get('x-request-id') ?? '';
        for await (const _ of stream) void _;
        outcome.set(requestId, 'done');
      } catch {
        if (requestId) outcome.set(requestId, 'error');
        else refusedBeforeAnyByte++;
      }
    };
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const refusedBefore = refusedBeforeAnyByte;
        await one(w * 1_000 + i);
        if (refusedBeforeAnyByte > refusedBefore) await new Promise((r) => setTimeout(r, 50)); // the node is away: do not spin
      }
    };
    const doneCount = () => [...outcome.values()].filter((o) => o === 'done').length;
    const servingAgain = async () => {
      const base = doneCount();
      await eventually(async () => expect(doneCount()).toBeGreaterThanOrEqual(base + 8), 10_000, 20);
      // The workers tend to run in step: half a stream later they are mid-stream, not between requests.
      await new Promise((r) => setTimeout(r, 150));
    };
    const run = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    const reconnects = () => agent.tunnel!.connects - connectsBefore;
    try {
      await servingAgain();
      agent.tunnel!.drop(); // the agent's side fails (a NAT mapping lost), streams in flight
      await eventually(async () => expect(reconnects()).toBeGreaterThanOrEqual(1), 10_000, 20);
      await servingAgain();
      hub.drop(h.nodeIds[0]); // the gateway's side fails
      await eventually(async () => expect(reconnects()).toBeGreaterThanOrEqual(2), 10_000, 20);
      await servingAgain();
    } finally {
      stop = true; // whatever failed, the workers end (else the suite never does)
      await run;
    }
    h.engines[0].chunkDelayMs = 0;
    const usage = await usageByRequest(h, dev.accountId);
    const done = [...outcome].filter(([, o]) => o === 'done').map(([id]) => id);
    const broken = [...outcome].filter(([, o]) => o === 'error').map(([id]) => id);
    const events = [...usage.values()].flat();
    console.log(
      `tunnel drops: ${reconnects()} reconnects; ${done.length} completed, ${broken.length} cut mid-stream, ${refusedBeforeAnyByte} refused before any byte; ` +
        `${events.length} UsageRecorded (${events.filter((e) => e === 'completed').length} completed) for ${usage.size} request ids`,
    );
    expect(reconnects()).toBeGreaterThanOrEqual(2);
    expect(broken.length).toBeGreaterThanOrEqual(1); // some streams were cut mid-way, and charged as such
    for (const id of done) expect(usage.get(id)).toEqual(['completed']);
    for (const id of broken) expect((usage.get(id) ?? []).length).toBeLessThanOrEqual(1);
    for (const statuses of usage.values()) expect(statuses).toHaveLength(1);
    expect(done.length).toBeGreaterThanOrEqual(24);
  }, 40_000);

  it('a stalled stream (its client reads nothing) does not stall another on the same tunnel', async () => {
    const dev = await h.developer(5n, { requestsPerMinute: 10_000 });
    h.engines[0].echo = true;
    try {
      // ~3 MB of answer that nobody reads: its HTTP/2 stream's window fills, the agent stops reading the engine.
      const big = Array.from({ length: 15_000 }, (_, i) => ` w${i % 10}`).join('');
      const stalled = httpRequest(`${h.t.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${dev.key}`, 'content-type': 'application/json' },
      });
      let stalledResponded = false;
      let stalledEnded = false;
      stalled.on('response', (res) => {
        stalledResponded = true;
        res.pause();
        res.on('end', () => (stalledEnded = true));
      });
      stalled.on('error', () => undefined);
      stalled.end(JSON.stringify({ model: MODEL, stream: true, messages: [{ role: 'user', content: big }] }));
      await eventually(async () => expect(stalledResponded).toBe(true), 10_000, 20);
      await new Promise((r) => setTimeout(r, 1_000)); // every buffer on the way fills
      const latencies: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        const stream = await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'a short one' }], stream: true });
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        latencies.push(Math.round(performance.now() - started));
        expect(text).toBe('a short one');
      }
      console.log(`while a 15,000-chunk stream sat unread on the same tunnel: 5 other streams took ${latencies.join(', ')} ms; the stalled one ended: ${stalledEnded}`);
      expect(stalledEnded).toBe(false);
      expect(Math.max(...latencies)).toBeLessThan(2_000);
      stalled.destroy();
    } finally {
      h.engines[0].echo = false;
    }
  }, 30_000);

  it('other requests carrying an Upgrade header (curl --http2 sends Upgrade: h2c) are served as before', async () => {
    const dev = await h.developer(1n);
    const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'h2c' }] });
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(`${h.t.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          connection: 'Upgrade, HTTP2-Settings',
          upgrade: 'h2c',
          'http2-settings': 'AAMAAABkAARAAAAAAAIAAAAA',
          authorization: `Bearer ${dev.key}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('error', reject);
      req.end(body);
    });
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.text) as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe('Hello from the engine.');
  }, 20_000);

  it('refuses a tunnel without a node token, with a wrong one, and for a node not approved', async () => {
    const { token } = await h.t.app
      .get(NodesService)
      .register(h.providerId, { name: 'pending-node', endpointUrl: 'http://127.0.0.1:9', models: [{ id: MODEL, contextLength: 8_192 }] }, ctx());
    const statuses = {
      none: await handshake(h.t.url, null),
      malformed: await handshake(h.t.url, 'Bearer nope'),
      wrong: await handshake(h.t.url, `Bearer tg_node_${h.nodeIds[0]}_${'x'.repeat(32)}`),
      pending: await handshake(h.t.url, `Bearer ${token}`),
    };
    console.log('tunnel handshakes refused:', statuses);
    expect(statuses).toEqual({ none: 401, malformed: 401, wrong: 401, pending: 403 });
  }, 20_000);
});
