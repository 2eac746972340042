import { request as httpRequest } from 'node:http';
import { TunnelHub } from '../../src/nodes/tunnel/tunnel-hub';
import { NodesService } from '../../src/nodes/nodes.service';
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
  }, 30_000);

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

export { eventually };
