import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import type { Logger } from '../../platform/observability/logger';
import { NODE_ID_PATTERN } from '../node-token';
import type { TunnelRequest, TunnelResponse } from './tunnel-sessions';

/** The relay hop's credential header (the shared secret); never forwarded into the tunnel. */
export const RELAY_HEADER = 'x-tollgate-relay';
/** On the holder's 503 when it does not hold the tunnel (any more): the caller asks Redis again. Never taken from a node's answer. */
export const RELAY_MISS_HEADER = 'x-tollgate-relay-miss';
const RELAY_PATH = /^\/internal\/tunnel\/([^/]+)(\/v1\/[A-Za-z0-9/_.-]+)$/;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', RELAY_HEADER, RELAY_MISS_HEADER]);

function same(presented: string | string[] | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(expected).digest());
}

function forwardable(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase()) && !name.startsWith(':')) out[name] = value;
  return out;
}

function answer(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: { message, type: 'server_error', param: null, code } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extra }).end(body);
}

/** Where a relayed request enters the holder's tunnel: its local sessions. */
export interface LocalTunnels {
  local(nodeId: string, req: TunnelRequest, signal: AbortSignal): Promise<TunnelResponse> | null;
}

/**
 * The holder's side of the relay hop: an internal listener (TUNNEL_RELAY_HOST:PORT, never the
 * public port) taking `POST /internal/tunnel/{nodeId}/v1/…` from other instances, with the shared
 * secret, and piping each into the node's tunnel held here. The response streams back as it
 * comes; a tunnel that breaks mid-answer cuts this connection, so the caller sees a broken
 * answer (charged as cut), never a clean short one.
 */
export class RelayListener {
  private server: Server | null = null;

  constructor(
    private readonly secret: string,
    private readonly tunnels: LocalTunnels,
    private readonly logger: Logger,
  ) {}

  /** Listens; returns the port (0 = a free one). */
  async start(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(`the tunnel relay cannot listen on ${host}:${port} (${err.code ?? err.message}); set TUNNEL_RELAY_PORT`)),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!same(req.headers[RELAY_HEADER], this.secret)) {
      req.resume();
      return answer(res, 401, 'relay_credentials_required', 'Only Tollgate instances may relay.');
    }
    const match = RELAY_PATH.exec(req.url ?? '');
    if (!match || !NODE_ID_PATTERN.test(match[1]) || (req.method !== 'POST' && req.method !== 'GET')) {
      req.resume();
      return answer(res, 404, 'not_found', 'Not a relay route.');
    }
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const pending = this.tunnels.local(match[1], { method: req.method, path: match[2], headers: forwardable(req.headers), body: req.method === 'GET' ? null : req }, abort.signal);
    if (!pending) {
      req.resume();
      return answer(res, 503, 'tunnel_not_here', 'This instance does not hold that tunnel (any more).', { [RELAY_MISS_HEADER]: '1' });
    }
    let upstream: TunnelResponse;
    try {
      upstream = await pending;
    } catch (err) {
      this.logger.debug({ err: { name: (err as Error).name, message: (err as Error).message } }, 'relayed request failed before its response');
      if (!res.headersSent && !res.destroyed) answer(res, 502, 'tunnel_failed', 'The tunnel to the node failed before it answered.');
      return;
    }
    res.writeHead(upstream.status, forwardable(upstream.headers));
    res.flushHeaders();
    try {
      for await (const chunk of upstream.body as AsyncIterable<Buffer>) if (!res.write(chunk)) await once(res, 'drain', { signal: abort.signal });
      res.end();
    } catch {
      res.destroy();
      upstream.body.destroy();
    }
  }
}

/** The other side of the hop: sends a request for a node to the instance holding its tunnel. */
export class RelayClient {
  /** Instance-to-instance: no endpoint guard (the address comes from our own Redis, and is internal by design). */
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 256, headersTimeout: 0, bodyTimeout: 0 });

  constructor(private readonly secret: string) {}

  /** `missed`: the instance did not hold the tunnel (it moved); nothing reached the node. */
  async send(relayUrl: string, nodeId: string, req: TunnelRequest, signal: AbortSignal): Promise<TunnelResponse & { missed: boolean }> {
    const res = await request(`${relayUrl}/internal/tunnel/${nodeId}${req.path}`, {
      method: req.method as 'POST' | 'GET',
      headers: { ...forwardable(req.headers), [RELAY_HEADER]: this.secret },
      body: req.body,
      signal,
      dispatcher: this.agent,
    });
    return {
      status: res.statusCode,
      headers: res.headers,
      body: res.body,
      discard: () => res.body.dump().catch(() => undefined),
      missed: res.statusCode === 503 && res.headers[RELAY_MISS_HEADER] === '1',
    };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
