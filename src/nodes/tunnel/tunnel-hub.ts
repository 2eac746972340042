import { Inject, Injectable, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { ClientHttp2Session, connect } from 'node:http2';
import type { Socket } from 'node:net';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { DomainError } from '../../platform/errors/domain-error';
import { keepPinging } from '../../platform/http/http2-ping';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { REDIS } from '../../platform/redis/redis.module';
import { SECRETS, Secrets } from '../../platform/security/secrets';
import { NodesService } from '../nodes.service';
import { RemoteTunnels, relaySecret } from './remote-tunnels';
import { TunnelDirectory, TunnelHolder } from './tunnel-directory';
import { RelayListener } from './tunnel-relay';
import { requestOverSession, TunnelRequest, TunnelResponse } from './tunnel-sessions';

export const TUNNEL_PATH = '/nodes/tunnel';
export const TUNNEL_PROTOCOL = 'tollgate-tunnel';
const PING_EVERY_MS = 10_000;
const STATUS_OF: Record<string, number> = { unauthorized: 401, forbidden: 403, invalid: 400 };

interface Held {
  session: ClientHttp2Session;
  refresh: NodeJS.Timeout;
}

/**
 * The gateway's end of the node tunnels (API instances). An agent's `GET /nodes/tunnel` with
 * `Upgrade: tollgate-tunnel` and its node token becomes, once the token checks out and the node is
 * approved, an HTTP/2 session on that socket with the gateway as the client. The session is
 * recorded in Redis (instance id + relay URL) while it lasts, so another instance relays its
 * requests for the node here; `send` is what the gateway's Upstream calls for every node.
 */
@Injectable()
export class TunnelHub implements OnModuleDestroy, OnApplicationShutdown {
  readonly instanceId = randomUUID();
  private readonly held = new Map<string, Held>();
  private readonly directory: TunnelDirectory;
  private readonly remote: RemoteTunnels;
  private listener: RelayListener | null = null;
  private relayUrl: string | null = null;
  private readonly idleTimeoutMs: number;
  /** Shutting down: new tunnels are refused (the agent's next try reaches another instance). */
  private closing = false;

  constructor(
    private readonly nodes: NodesService,
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SECRETS) secrets: Secrets,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.remote = new RemoteTunnels(redis, config, secrets, this.instanceId);
    this.directory = this.remote.holders;
    this.listener = new RelayListener(relaySecret(config, secrets), this, logger);
    this.idleTimeoutMs = config.inference.upstreamIdleTimeoutMs;
  }

  /** API processes: tunnels arrive on the public server's upgrade, relayed requests on the internal listener. */
  async start(server: Server): Promise<void> {
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      if ((req.url ?? '').split('?')[0] === TUNNEL_PATH) void this.accept(req, socket, head);
      else if (server.listenerCount('upgrade') === 1) asPlainRequest(server, req, socket, head);
    });
    const { relayHost: host, relayPort: port, relayUrl } = this.config.nodes.tunnel;
    const bound = await this.listener!.start(host, port);
    this.relayUrl = relayUrl ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}`;
  }

  holds(nodeId: string): boolean {
    const h = this.held.get(nodeId);
    return h !== undefined && !h.session.closed && !h.session.destroyed;
  }

  /** How many tunnels this instance holds now. */
  get count(): number {
    return this.held.size;
  }

  /**
   * Sends one request to a node through its tunnel: here if this instance holds it, else relayed to
   * the instance that does. null = no tunnel to this node anywhere (send to its URL as usual).
   */
  async send(nodeId: string, req: TunnelRequest, signal: AbortSignal): Promise<TunnelResponse | null> {
    // Local again after the relay found none elsewhere: the tunnel may have just moved here.
    return this.local(nodeId, req, signal) ?? (await this.remote.send(nodeId, req, signal)) ?? this.local(nodeId, req, signal);
  }

  /** A request through a tunnel held here, or null. */
  local(nodeId: string, req: TunnelRequest, signal: AbortSignal): Promise<TunnelResponse> | null {
    const h = this.held.get(nodeId);
    if (!h || h.session.closed || h.session.destroyed) return null;
    return requestOverSession(h.session, req, signal, this.idleTimeoutMs);
  }

  /** Cuts a node's tunnel here (tests: a network failure). */
  drop(nodeId: string): void {
    this.held.get(nodeId)?.session.destroy();
  }

  private async accept(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    if (req.headers.upgrade?.toLowerCase() !== TUNNEL_PROTOCOL) return refuse(socket, 400, 'invalid_upgrade', `Upgrade: ${TUNNEL_PROTOCOL} expected.`);
    if (this.relayUrl === null || this.closing) return refuse(socket, 503, 'not_ready', 'This instance does not take tunnels now.');
    let nodeId: string;
    try {
      const node = await this.nodes.authenticate(req.headers.authorization);
      if (node.status !== 'approved') return refuse(socket, 403, 'node_not_approved', 'Only approved nodes may open a tunnel.');
      nodeId = node.nodeId;
    } catch (err) {
      if (err instanceof DomainError) return refuse(socket, STATUS_OF[err.kind] ?? 503, err.code, err.message);
      this.logger.warn({ err: { name: (err as Error).name, message: (err as Error).message } }, 'tunnel authentication failed');
      return refuse(socket, 503, 'unavailable', 'Try again shortly.');
    }
    if (socket.destroyed) return;
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${TUNNEL_PROTOCOL}\r\n\r\n`);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 15_000);
    // The HTTP server's sockets allow half-open: the agent's side closing (or a balancer cutting the
    // connection) would leave the session looking alive until a PING went unanswered, with requests
    // sent into it hanging meanwhile. A tunnel is never half-open.
    socket.once('end', () => socket.destroy());
    if (head.length > 0) socket.unshift(head);
    const session = connect('http://node.tunnel', { createConnection: () => socket });
    session.on('error', (err: Error) => this.logger.debug({ nodeId, err: { name: err.name, message: err.message } }, 'tunnel session error'));
    this.hold(nodeId, session);
  }

  private hold(nodeId: string, session: ClientHttp2Session): void {
    const holder: TunnelHolder = { instanceId: this.instanceId, relayUrl: this.relayUrl as string };
    const failed = (err: Error) => this.logger.warn({ nodeId, err: { name: err.name, message: err.message } }, 'could not record the tunnel holder');
    // Refused = the agent has since reconnected to another instance: this tunnel is dead or dying (a
    // NAT mapping that expired says nothing), so stop sending into it rather than wait for a PING.
    const superseded = () => {
      this.logger.info({ nodeId }, 'tunnel superseded by a newer one elsewhere');
      clearInterval(refresh);
      session.close();
      setTimeout(() => session.destroy(), this.idleTimeoutMs).unref();
    };
    const keep = () =>
      this.directory.refresh(nodeId, holder).then(
        (ours) => ours || superseded(),
        (err: Error) => failed(err),
      );
    const refresh = setInterval(() => void keep(), Math.max(100, Math.floor(this.config.nodes.tunnel.holderTtlMs / 3)));
    refresh.unref();
    const previous = this.held.get(nodeId);
    this.held.set(nodeId, { session, refresh });
    // The agent reconnected (its old tunnel may be half-dead): requests in flight there may finish.
    if (previous) {
      clearInterval(previous.refresh);
      previous.session.close();
    }
    void this.directory.claim(nodeId, holder).catch(failed);
    keepPinging(session, PING_EVERY_MS);
    session.once('close', () => {
      const current = this.held.get(nodeId);
      if (current?.session !== session) return;
      clearInterval(current.refresh);
      this.held.delete(nodeId);
      this.directory.release(nodeId, holder).catch(() => undefined); // else it expires by itself
      this.logger.info({ nodeId }, 'tunnel closed');
    });
    this.logger.info({ nodeId }, 'tunnel open');
  }

  /**
   * Shutdown, first step: no new requests into our tunnels (GOAWAY; requests in flight finish),
   * and Redis forgets us as their holder, so other instances stop relaying here. The agents
   * reconnect, to another instance, when their tunnel closes.
   */
  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    for (const [nodeId, h] of this.held) {
      clearInterval(h.refresh);
      h.session.close();
      await this.directory.release(nodeId, { instanceId: this.instanceId, relayUrl: this.relayUrl as string }).catch(() => undefined);
    }
  }

  /** Last step, once the public server has closed: whatever is left is cut. */
  async onApplicationShutdown(): Promise<void> {
    for (const h of this.held.values()) h.session.destroy();
    this.held.clear();
    await this.listener?.close();
    this.listener = null;
    await this.remote.close();
  }
}

/**
 * Any other request with an Upgrade header (`curl --http2` on http:// sends `Upgrade: h2c`) is
 * served as if the header were absent, as before this listener existed (Node hands every
 * Upgrade to an 'upgrade' listener once there is one): its head is written back in front of the
 * unread bytes, minus Upgrade and Connection, and the socket is parsed afresh.
 */
function asPlainRequest(server: Server, req: IncomingMessage, socket: Socket, head: Buffer): void {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    if (name !== 'upgrade' && name !== 'connection' && name !== 'http2-settings') lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  }
  socket.unshift(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), head]));
  server.emit('connection', socket);
}

/** An answer in our error shape on a socket that is not upgraded, then the socket is closed. */
function refuse(socket: Socket, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { message, type: status === 401 ? 'invalid_request_error' : 'server_error', param: null, code } });
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status] ?? 'Service Unavailable';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
