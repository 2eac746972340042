import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { TunnelDirectory } from '../../src/nodes/tunnel/tunnel-directory';
import { RemoteTunnels } from '../../src/nodes/tunnel/remote-tunnels';
import type { AppConfig } from '../../src/platform/config/config';
import type { Secrets } from '../../src/platform/security/secrets';
import { Readable } from 'node:stream';
import { TEST_REDIS_URL } from '../support/database';
import { readAgentConfig } from '../../src/node-agent/agent-config';
import { backoffMs } from '../../src/node-agent/tunnel-client';
import { UsageError } from '../../src/cli/flags';
import { RELAY_HEADER, RelayListener } from '../../src/nodes/tunnel/tunnel-relay';
import { createLogger } from '../../src/platform/observability/logger';
import { keepPinging } from '../../src/platform/http/http2-ping';
import { connect as h2connect, createServer as createH2Server, ClientHttp2Session } from 'node:http2';
import { once } from 'node:events';
import { AddressInfo } from 'node:net';

const TOKEN = `tg_node_${'a'.repeat(12)}_${'b'.repeat(32)}`;
const BASE = ['--gateway', 'https://api.example', '--engine', 'http://127.0.0.1:8000'];

describe('the tunnel: agent flags, reconnect backoff, the relay listener', () => {
  it('--tunnel (or TOLLGATE_TUNNEL=1) turns the tunnel on; with --listen it is a usage error', () => {
    expect(readAgentConfig([...BASE, '--tunnel'], { TOLLGATE_NODE_TOKEN: TOKEN }).tunnel).toBe(true);
    expect(readAgentConfig(BASE, { TOLLGATE_NODE_TOKEN: TOKEN, TOLLGATE_TUNNEL: '1' }).tunnel).toBe(true);
    expect(readAgentConfig(BASE, { TOLLGATE_NODE_TOKEN: TOKEN }).tunnel).toBe(false);
    expect(() => readAgentConfig([...BASE, '--tunnel', '--listen', '0.0.0.0:8080'], { TOLLGATE_NODE_TOKEN: TOKEN })).toThrow(UsageError);
  });

  it('the keep-alive ping never throws on a session destroyed a tick before its close event (it crashed API instances)', async () => {
    const server = createH2Server();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const session: ClientHttp2Session = h2connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    session.on('error', () => undefined);
    await once(session, 'connect');
    const uncaught: Error[] = [];
    const onUncaught = (err: Error) => uncaught.push(err);
    process.prependListener('uncaughtException', onUncaught);
    try {
      // Same delay, registered first: the destroying timer fires, then the ping's in the same pass, before 'close'.
      setTimeout(() => session.destroy(), 30);
      keepPinging(session, 30);
      await once(session, 'close');
      await new Promise((r) => setTimeout(r, 80));
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      await new Promise((r) => server.close(r));
    }
    expect(uncaught).toEqual([]);
  });

  it('backs off exponentially with full jitter, never to zero, capped', () => {
    const ceilings = [0, 1, 2, 3, 10, 40].map((attempt) => backoffMs(attempt, 500, 30_000, () => 0.999_999));
    expect(ceilings).toEqual([499, 999, 1_999, 3_999, 29_999, 29_999]);
    expect(backoffMs(5, 500, 30_000, () => 0)).toBe(125); // the floor: a refusal cannot spin
    const spread = new Set(Array.from({ length: 50 }, () => backoffMs(6, 500, 30_000)));
    expect(spread.size).toBeGreaterThan(40); // agents that lost the same instance do not return in step
  });

  it('the relay listener refuses a caller without the shared secret, and routes only /internal/tunnel/{nodeId}/v1/…', async () => {
    const asked: string[] = [];
    const listener = new RelayListener('s'.repeat(40), { local: (nodeId, req) => (asked.push(`${nodeId} ${req.path}`), null) }, createLogger('silent'));
    const port = await listener.start('127.0.0.1', 0);
    try {
      const call = async (path: string, secret: string | null) => {
        const res = await request(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: secret ? { [RELAY_HEADER]: secret } : {}, body: '{}' });
        const body = (await res.body.json()) as { error: { code: string } };
        return `${res.statusCode} ${body.error.code}`;
      };
      const node = `/internal/tunnel/${'a'.repeat(12)}/v1/chat/completions`;
      const answers = {
        noSecret: await call(node, null),
        wrongSecret: await call(node, 'w'.repeat(40)),
        badPath: await call('/internal/tunnel/x/v1/chat/completions', 's'.repeat(40)),
        notHeldHere: await call(node, 's'.repeat(40)),
      };
      console.log('relay listener answers:', answers);
      expect(answers).toEqual({
        noSecret: '401 relay_credentials_required',
        wrongSecret: '401 relay_credentials_required',
        badPath: '404 not_found',
        notHeldHere: '503 tunnel_not_here',
      });
      expect(asked).toEqual([`${'a'.repeat(12)} /v1/chat/completions`]);
    } finally {
      await listener.close();
    }
  });

  it('a request relayed to an instance the tunnel has left goes once more to the new holder, at once (not after the cache)', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    const secret = 's'.repeat(40);
    const nodeId = randomBytes(6).toString('hex');
    const seen = { old: 0, new: 0 };
    const oldHolder = new RelayListener(secret, { local: () => (seen.old++, null) }, createLogger('silent'));
    const newHolder = new RelayListener(
      secret,
      {
        local: async () => (seen.new++, { status: 200, headers: { 'content-type': 'text/plain' }, body: Readable.from([Buffer.from('from the node')]), discard: () => undefined }),
      },
      createLogger('silent'),
    );
    const remote = new RemoteTunnels(redis, { nodes: { tunnel: { holderTtlMs: 5_000, relaySecret: secret } } } as AppConfig, {} as Secrets, 'asking-instance');
    try {
      const [oldPort, newPort] = [await oldHolder.start('127.0.0.1', 0), await newHolder.start('127.0.0.1', 0)];
      await remote.holders.claim(nodeId, { instanceId: 'old', relayUrl: `http://127.0.0.1:${oldPort}` });
      await remote.holders.holder(nodeId); // cached: the old holder, for a second
      await remote.holders.claim(nodeId, { instanceId: 'new', relayUrl: `http://127.0.0.1:${newPort}` }); // the agent reconnected there
      const res = await remote.send(nodeId, { method: 'POST', path: '/v1/chat/completions', headers: {}, body: Buffer.from('{}') }, AbortSignal.timeout(5_000));
      const text = res ? await new Response(Readable.toWeb(res.body) as ReadableStream).text() : null;
      console.log(`moved tunnel: old holder asked ${seen.old}, new holder ${seen.new}; answer ${res?.status} ${text}`);
      expect({ status: res?.status, text, seen }).toEqual({ status: 200, text: 'from the node', seen: { old: 1, new: 1 } });
    } finally {
      await oldHolder.close();
      await newHolder.close();
      await remote.close();
      await redis.del(`tollgate:node:tunnel:${nodeId}`);
      redis.disconnect();
    }
  });

  it('the holder record in Redis: the newest tunnel wins; a stale holder neither refreshes it back nor deletes it', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const directory = new TunnelDirectory(redis, 2_000);
      const nodeId = randomBytes(6).toString('hex');
      const a = { instanceId: 'a', relayUrl: 'http://10.0.0.1:9466' };
      const b = { instanceId: 'b', relayUrl: 'http://10.0.0.2:9466' };
      await directory.claim(nodeId, a);
      await directory.claim(nodeId, b); // the agent reconnected to b while a's old tunnel is still half-open
      await directory.refresh(nodeId, a); // a's timer
      await directory.release(nodeId, a); // a's old tunnel finally closes
      expect(await new TunnelDirectory(redis, 2_000).holder(nodeId)).toEqual(b);
      await directory.release(nodeId, b);
      expect(await new TunnelDirectory(redis, 2_000).holder(nodeId)).toBeNull();
      await directory.refresh(nodeId, a); // gone: a refresh may record it again (Redis lost it while connected)
      expect(await new TunnelDirectory(redis, 2_000).holder(nodeId)).toEqual(a);
      expect(await redis.pttl(`tollgate:node:tunnel:${nodeId}`)).toBeGreaterThan(1_000);
      await redis.del(`tollgate:node:tunnel:${nodeId}`);
    } finally {
      redis.disconnect();
    }
  });
});
