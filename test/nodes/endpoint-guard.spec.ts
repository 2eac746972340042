import { LookupAddress } from 'node:dns';
import { createServer, Server } from 'node:net';
import { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { DomainError } from '../../src/platform/errors/domain-error';
import { InferenceRequest } from '../../src/openai/openai-request';
import { Upstream } from '../../src/nodes/routing/upstream';
import { classifyAddress } from '../../src/nodes/endpoint-guard/address-policy';
import { NodeEndpointGuard, ResolveAll } from '../../src/nodes/endpoint-guard/endpoint-guard';
import { createLogger } from '../../src/platform/observability/logger';

const logger = createLogger('silent');
const guard = (options: { allowedCidrs?: string[]; requireHttps?: boolean; resolve?: ResolveAll } = {}) =>
  new NodeEndpointGuard(
    { requireHttps: options.requireHttps ?? false, allowedCidrs: options.allowedCidrs ?? [], resolve: options.resolve ?? (async () => [{ address: '93.184.216.34', family: 4 }]) },
    logger,
  );

async function refusal(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (err) {
    return err instanceof DomainError ? err.code : String(err);
  }
}

/** A TCP server on loopback that counts the connections it gets (a database, Redis, a metadata service…). */
async function trap(): Promise<{ server: Server; port: number; connections: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count++;
    socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, connections: () => count };
}

const chat = { path: '/v1/chat/completions', stream: false, upstreamBody: Buffer.from('{}') } as unknown as InferenceRequest;

describe('nodes cannot point inside: the address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.31.255.1', 'private'],
    ['192.168.0.10', 'private'],
    ['169.254.169.254', 'cloud_metadata'],
    ['169.254.170.2', 'cloud_metadata'],
    ['100.100.100.200', 'cloud_metadata'],
    ['169.254.1.1', 'link_local'],
    ['100.64.0.1', 'cgnat'],
    ['224.0.0.251', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'cloud_metadata'],
    ['::ffff:10.1.2.3', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'cloud_metadata'],
    ['2002:7f00:1::1', 'loopback'],
    ['fe80::1', 'link_local'],
    ['fd12:3456::1', 'private'],
    ['fd00:ec2::254', 'cloud_metadata'],
    ['ff02::1', 'multicast'],
  ])('%s is %s', (address, reason) => expect(classifyAddress(address)).toBe(reason));

  it.each(['93.184.216.34', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8'])('%s is public', (address) =>
    expect(classifyAddress(address)).toBeNull(),
  );
});

describe('nodes cannot point inside: at registration', () => {
  it.each([
    'http://127.0.0.1:5432',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]:6379',
    'http://10.0.0.5',
    'http://localhost:8080',
    'http://api.localhost',
    'http://2130706433', // 127.0.0.1 as one decimal number
    'http://0x7f.1', // 127.0.0.1 in hex, short form
    'http://0177.0.0.1', // octal
    'http://127.1',
    'http://[::ffff:127.0.0.1]:3000',
    'http://[::ffff:169.254.169.254]',
    'http://[fd00:ec2::254]',
    'http://100.64.0.1',
    'http://0.0.0.0:3000',
  ])('refuses %s', async (url) => expect(await refusal(guard().checkEndpoint(url))).toBe('endpoint_not_allowed'));

  it('refuses a host name that resolves inside (any of its addresses), and accepts one that resolves outside', async () => {
    const resolvesTo =
      (...addresses: string[]): ResolveAll =>
      async () =>
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    expect(await refusal(guard({ resolve: resolvesTo('93.184.216.34', '10.0.0.7') }).checkEndpoint('https://gpu.example.net'))).toBe('endpoint_not_allowed');
    expect(await refusal(guard({ resolve: resolvesTo('::ffff:127.0.0.1') }).checkEndpoint('https://gpu.example.net'))).toBe('endpoint_not_allowed');
    expect(await refusal(guard({ resolve: resolvesTo('93.184.216.34', '2606:4700::1') }).checkEndpoint('https://gpu.example.net:8443'))).toBeNull();
    // Not resolvable yet: accepted; every connection is checked anyway.
    expect(await refusal(guard({ resolve: async () => Promise.reject(new Error('ENOTFOUND')) }).checkEndpoint('https://not-yet.example.net'))).toBeNull();
  });

  it('allows listed ranges only through the operator setting, never the metadata service', async () => {
    const local = guard({ allowedCidrs: ['127.0.0.0/8', '::1/128', '10.0.0.0/8'] });
    expect(await refusal(local.checkEndpoint('http://127.0.0.1:8000'))).toBeNull();
    expect(await refusal(local.checkEndpoint('http://[::1]:8000'))).toBeNull();
    expect(await refusal(local.checkEndpoint('http://[::ffff:10.1.1.1]'))).toBeNull();
    expect(await refusal(local.checkEndpoint('http://192.168.1.10'))).toBe('endpoint_not_allowed');
    expect(await refusal(guard({ allowedCidrs: ['169.254.0.0/16'] }).checkEndpoint('http://169.254.169.254'))).toBe('endpoint_not_allowed');
  });

  it('requires https in production', async () => {
    expect(await refusal(guard({ requireHttps: true }).checkEndpoint('http://93.184.216.34:8000'))).toBe('endpoint_https_required');
    expect(await refusal(guard({ requireHttps: true }).checkEndpoint('https://93.184.216.34:8000'))).toBeNull();
  });
});

describe('nodes cannot point inside: at connect time, through the gateway’s own dispatcher', () => {
  const node = (baseUrl: string) => ({ nodeId: 'n1', providerId: 'p1', baseUrl, headers: {} });

  it('DNS rebinding: a name that resolved outside at registration and resolves to loopback now never gets a connection', async () => {
    const t = await trap();
    let lookups = 0;
    const rebinding: ResolveAll = async (): Promise<LookupAddress[]> => (++lookups === 1 ? [{ address: '93.184.216.34', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
    const g = guard({ resolve: rebinding });
    await g.checkEndpoint(`http://rebind.example.net:${t.port}`); // registration: public
    const upstream = new Upstream({ firstByteTimeoutMs: 2_000, idleTimeoutMs: 2_000, connectionsPerNode: 4, connect: g.connector() });
    try {
      const err = await upstream.send(node(`http://rebind.example.net:${t.port}`), chat, AbortSignal.timeout(5_000)).then(
        () => null,
        (e: Error) => e,
      );
      console.log(
        `rebinding: lookups ${lookups}, refused with ${(err as { cause?: { code?: string } })?.cause?.code ?? err?.name}, connections reaching loopback: ${t.connections()}`,
      );
      expect(err).not.toBeNull();
      expect(t.connections()).toBe(0);
    } finally {
      await upstream.close();
      t.server.close();
    }
  });

  it('an IP literal inside (a node registered before the check, an odd form) is refused before any connection; an allowed range connects', async () => {
    const t = await trap();
    const strict = new Upstream({ firstByteTimeoutMs: 2_000, idleTimeoutMs: 2_000, connectionsPerNode: 4, connect: guard().connector() });
    const local = new Upstream({ firstByteTimeoutMs: 2_000, idleTimeoutMs: 2_000, connectionsPerNode: 4, connect: guard({ allowedCidrs: ['127.0.0.0/8'] }).connector() });
    try {
      for (const base of [`http://127.0.0.1:${t.port}`, `http://[::ffff:127.0.0.1]:${t.port}`, `http://2130706433:${t.port}`]) {
        await expect(strict.send(node(base), chat, AbortSignal.timeout(5_000))).rejects.toThrow();
      }
      expect(t.connections()).toBe(0);
      const res = await local.send(node(`http://127.0.0.1:${t.port}`), chat, AbortSignal.timeout(5_000));
      expect(res.status).toBe(200);
      await (res.body as Readable).resume();
      expect(t.connections()).toBe(1);
    } finally {
      await strict.close();
      await local.close();
      t.server.close();
    }
  });

  it('requires https at connect time in production', async () => {
    const t = await trap();
    const upstream = new Upstream({
      firstByteTimeoutMs: 2_000,
      idleTimeoutMs: 2_000,
      connectionsPerNode: 4,
      connect: guard({ requireHttps: true, allowedCidrs: ['127.0.0.0/8'] }).connector(),
    });
    try {
      await expect(upstream.send(node(`http://127.0.0.1:${t.port}`), chat, AbortSignal.timeout(5_000))).rejects.toThrow();
      expect(t.connections()).toBe(0);
    } finally {
      await upstream.close();
      t.server.close();
    }
  });
});
