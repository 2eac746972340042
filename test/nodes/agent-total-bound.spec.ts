import { createServer, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { UsageError } from '../../src/cli/flags';
import { readAgentConfig } from '../../src/node-agent/agent-config';
import { EngineProxy } from '../../src/node-agent/engine-proxy';
import { AGENT_DEFAULTS } from '../../src/node-agent/node-agent';
import { createLogger } from '../../src/platform/observability/logger';
import { AdversarialEngine, startAdversarialEngine } from '../standins/gpu-engine/adversarial-engine';

const TOKEN = `tg_node_${'a'.repeat(12)}_${'b'.repeat(32)}`;

/** The node agent bounds every request too, so a stalled engine never keeps one open (docs/trusting-nodes.md, "Holds"). */
describe("the node agent's total bound per request", () => {
  let engine: AdversarialEngine;
  let proxy: EngineProxy;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    engine = await startAdversarialEngine({ models: ['m'], name: 'stalling' });
    proxy = new EngineProxy(
      { engineUrl: engine.url, engineApiKey: null, maxConcurrency: 4, maxQueue: 4, engineHeadersTimeoutMs: 10_000, maxRequestMs: 1_000 },
      createLogger('silent'),
    );
    proxy.setGatewaySecret('gateway-secret');
    server = createServer(proxy.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await proxy.close();
    await engine.close();
  });

  it('cuts a stream whose engine stalls once the bound is reached, so the gateway sees a broken response, never a clean short one', async () => {
    engine.chunks = 100;
    engine.stallAfterChunks = 2;
    const started = Date.now();
    const outcome = await new Promise<{ body: string; ended: 'cleanly' | 'cut' }>((resolve) => {
      let body = '';
      const req = request(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer gateway-secret', 'content-type': 'application/json' } }, (res) => {
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ body, ended: 'cleanly' }));
        res.on('error', () => resolve({ body, ended: 'cut' }));
        res.on('aborted', () => resolve({ body, ended: 'cut' }));
      });
      req.on('error', () => resolve({ body, ended: 'cut' }));
      req.end(JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
    });
    const tookMs = Date.now() - started;
    expect(outcome.ended).toBe('cut');
    expect(outcome.body.match(/"content":" word"/g)).toHaveLength(2);
    expect(tookMs).toBeGreaterThanOrEqual(950);
    expect(tookMs).toBeLessThan(5_000);
    console.log(`node agent: engine stalled after 2 chunks; the agent cut the stream after ${tookMs} ms (bound 1,000 ms)`);
  });

  it("reads --max-request-ms (default: the gateway's own default bound)", () => {
    const env = { TOLLGATE_NODE_TOKEN: TOKEN };
    const base = ['--gateway', 'https://api.example.com', '--engine', 'http://127.0.0.1:8000'];
    expect(readAgentConfig(base, env).maxRequestMs).toBe(AGENT_DEFAULTS.maxRequestMs);
    expect(readAgentConfig([...base, '--max-request-ms', '120000'], env).maxRequestMs).toBe(120_000);
    expect(() => readAgentConfig([...base, '--max-request-ms', '5'], env)).toThrow(UsageError);
  });
});
