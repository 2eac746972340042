import { INestApplication } from '@nestjs/common';
import OpenAI from 'openai';
import { connect, createServer, Server, Socket } from 'node:net';
import { AddressInfo } from 'node:net';
import { TunnelHub } from '../../src/nodes/tunnel/tunnel-hub';
import { InferenceHarness, MODEL, startInferenceHarness } from '../inference/harness';
import { startTestApp } from '../support/app';
import { eventually, waitFor } from '../support/eventually';

/**
 * A load balancer stand-in (TCP): each connection goes to the first backend that accepts it, so
 * an agent whose instance died reconnects to the next one, as behind a real balancer.
 */
async function startFront(): Promise<{ url: string; backends: string[]; close(): Promise<void> }> {
  const backends: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    client.setNoDelay(true);
    const attempt = (i: number) => {
      if (i >= backends.length) return client.destroy();
      const { hostname, port } = new URL(backends[i]);
      const upstream = connect(Number(port), hostname);
      upstream.once('error', () => attempt(i + 1));
      upstream.once('connect', () => {
        upstream.setNoDelay(true);
        sockets.add(upstream);
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
      });
    };
    attempt(0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    backends,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

describe('tunnels across gateway instances: any instance reaches any tunnelled node', () => {
  let h: InferenceHarness;
  let front: Awaited<ReturnType<typeof startFront>>;
  let other: { app: INestApplication; url: string } | null = null;

  beforeAll(async () => {
    front = await startFront();
    h = await startInferenceHarness('nodes_tunnel_relay', {
      tunnel: true,
      agentGatewayUrl: (appUrl) => {
        front.backends.push(appUrl);
        return front.url;
      },
    });
    // A second API instance on the same database and Redis (the first one also runs the worker).
    other = await startTestApp(h.t.database.url, { appSecret: h.t.config.appSecret, trustProxy: 'loopback', nodes: h.t.config.nodes }, 'api');
    await waitFor(
      async () =>
        (await fetch(`${other!.url}/health/ready`).then(
          (r) => r.status,
          () => 0,
        )) === 200,
      10_000,
      'the second instance',
      20,
    );
  }, 60_000);
  afterAll(async () => {
    await other?.app.close();
    await h?.close();
    await front?.close();
  });

  it('a request landing on the instance without the tunnel is relayed to its holder (charged once); the hop costs this much', async () => {
    const nodeId = h.nodeIds[0];
    const hubA = h.t.app.get(TunnelHub);
    const hubB = other!.app.get(TunnelHub);
    // Move the tunnel to B: the balancer now prefers B, and A's side of the tunnel breaks.
    front.backends.unshift(other!.url);
    hubA.drop(nodeId);
    await eventually(async () => expect([hubB.holds(nodeId), hubA.holds(nodeId)]).toEqual([true, false]), 10_000, 20);
    const dev = await h.developer(5n, { requestsPerMinute: 100_000 });
    const viaB = new OpenAI({ apiKey: dev.key, baseURL: `${other!.url}/v1`, maxRetries: 0, timeout: 20_000 });
    await eventually(() => viaB.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'warm' }] }), 10_000, 50);
    await eventually(() => dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'warm' }] }), 10_000, 50);

    // Streamed through A, which relays each request to B over the internal hop.
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const { data: stream, response } = await dev.openai.chat.completions
          .create({ model: MODEL, messages: [{ role: 'user', content: `relayed ${i}` }], stream: true })
          .withResponse();
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        expect(text).toBe('Hello from the engine.');
        ids.push(response.headers.get('x-request-id') ?? '');
      }),
    );
    await h.t.caughtUp();
    const { rows } = await h.t.database.pool.query<{ request_id: string; status: string }>(
      `SELECT data->>'requestId' AS request_id, data->>'status' AS status FROM events WHERE stream LIKE $1 AND event_type = 'UsageRecorded' AND data->>'requestId' = ANY($2)`,
      [`usage-${dev.accountId}-%`, ids],
    );
    expect(rows.map((r) => r.status).sort()).toEqual(ids.map(() => 'completed'));
    expect(h.engines[0].lastBodyFraming).toEqual({ contentLength: expect.stringMatching(/^\d+$/), transferEncoding: null }); // sized across the hop too

    // The hop's cost: the same non-streamed request, one at a time, to the holder (B) and to the other instance (A).
    // The hop's cost, on one entry instance (A): its requests go straight into the tunnel while A
    // holds it, over the hop while B does. Blocks alternate so the shared machine's load drifts over both.
    const direct: number[] = [];
    const relayed: number[] = [];
    const moveTo = async (to: 'A' | 'B') => {
      front.backends.splice(0, front.backends.length, ...(to === 'B' ? [other!.url, h.t.url] : [h.t.url, other!.url]));
      (to === 'A' ? hubB : hubA).drop(nodeId);
      await eventually(async () => expect((to === 'A' ? hubA : hubB).holds(nodeId)).toBe(true), 10_000, 20);
      await eventually(() => dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'warm' }] }), 10_000, 50);
    };
    for (const holder of ['B', 'A', 'B', 'A'] as const) {
      if (holder === 'A' || relayed.length > 0) await moveTo(holder);
      for (let i = 0; i < 25; i++) {
        const started = performance.now();
        await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'latency' }] });
        (holder === 'A' ? direct : relayed).push(performance.now() - started);
      }
    }
    await moveTo('B');
    direct.sort((a, b) => a - b);
    relayed.sort((a, b) => a - b);
    const fmt = (s: number[]) => `p50 ${percentile(s, 50).toFixed(1)} ms, p99 ${percentile(s, 99).toFixed(1)} ms`;
    console.log(
      `2 × 50 sequential chat completions sent to instance A, in alternating blocks — A holds the tunnel: ${fmt(direct)}; B holds it (one relay hop): ${fmt(relayed)}; added at p50: ${(percentile(relayed, 50) - percentile(direct, 50)).toFixed(1)} ms`,
    );
    expect(percentile(relayed, 50)).toBeLessThan(percentile(direct, 50) + 50);
  }, 40_000);

  it('an instance that goes away takes its tunnels with it; the agent reconnects to another within seconds', async () => {
    const nodeId = h.nodeIds[0];
    const hubA = h.t.app.get(TunnelHub);
    expect(other!.app.get(TunnelHub).holds(nodeId)).toBe(true);
    const dev = await h.developer(1n);
    const stopped = performance.now();
    await other!.app.close();
    other = null;
    await eventually(async () => expect(hubA.holds(nodeId)).toBe(true), 10_000, 10);
    const reconnectedMs = Math.round(performance.now() - stopped);
    await eventually(() => dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'after' }] }), 10_000, 50);
    const servedMs = Math.round(performance.now() - stopped);
    console.log(`holder instance closed: the tunnel was back on the other instance after ${reconnectedMs} ms, serving after ${servedMs} ms`);
    expect(reconnectedMs).toBeLessThan(5_000);
  }, 30_000);
});
