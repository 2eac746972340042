import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createH2Server, type Http2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { keepPinging } from '../platform/http/http2-ping';
import type { Logger } from '../platform/observability/logger';

/** The path and Upgrade token of the tunnel (the gateway's TunnelHub answers them). */
export const TUNNEL_PATH = '/nodes/tunnel';
export const TUNNEL_PROTOCOL = 'tollgate-tunnel';

export interface TunnelClientOptions {
  gatewayUrl: string;
  nodeToken: string;
  /** Serves each request that arrives over the tunnel (the engine proxy, with its concurrency limit and queue). */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Told when the tunnel comes up or goes down (the agent heartbeats at once, so routing follows). */
  onChange: (up: boolean) => void;
  logger: Logger;
  /** First wait before a reconnect; doubles per failure up to maxBackoffMs, with full jitter. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** An HTTP/2 PING this often; no answer within the same time drops the tunnel (a dead NAT mapping, a dead gateway). */
  pingIntervalMs?: number;
}

/** Full jitter (AWS architecture blog): uniform in [0, min(max, base × 2^attempt)]; never 0, so a refusal cannot spin. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(baseMs / 4, Math.floor(random() * ceiling));
}

/**
 * The agent's outbound tunnel: an HTTP/1.1 Upgrade to the gateway authenticated by the node token,
 * after which the agent is the HTTP/2 *server* on that socket and the gateway the client. HTTP/2
 * multiplexes the gateway's requests with per-stream flow control (a slow stream's window fills
 * without stalling the others), and needs no dependency. Reconnects for as long as it runs.
 */
export class TunnelClient {
  private stopped = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private socket: Socket | null = null;
  private session: ServerHttp2Session | null = null;
  private readonly h2: Http2Server;
  /** Tunnels established since start (a reconnect adds one). */
  connects = 0;

  constructor(private readonly options: TunnelClientOptions) {
    // The compatibility API's request/response pair is what the engine proxy takes (same shape as http's).
    this.h2 = createH2Server({ settings: { maxConcurrentStreams: 10_000 } }, (req: Http2ServerRequest, res: Http2ServerResponse) =>
      options.handler(req as unknown as IncomingMessage, res as unknown as ServerResponse),
    );
    this.h2.on('session', (session: ServerHttp2Session) => this.attach(session));
  }

  get up(): boolean {
    return this.session !== null && !this.session.closed;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.session?.destroy();
    this.socket?.destroy();
  }

  /** Cuts the tunnel as a network failure would (tests); the client reconnects as usual. */
  drop(): void {
    this.socket?.destroy();
  }

  private connect(): void {
    if (this.stopped) return;
    const url = new URL(TUNNEL_PATH, this.options.gatewayUrl + '/');
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, {
      method: 'GET',
      headers: { connection: 'Upgrade', upgrade: TUNNEL_PROTOCOL, authorization: `Bearer ${this.options.nodeToken}` },
      timeout: 10_000,
    });
    req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      if (res.headers.upgrade?.toLowerCase() !== TUNNEL_PROTOCOL) {
        socket.destroy();
        return this.retry(`unexpected upgrade ${res.headers.upgrade ?? ''}`);
      }
      socket.setKeepAlive(true, 15_000);
      socket.setNoDelay(true); // HTTP/2 frames are written whole: Nagle would only hold them back
      socket.setTimeout(0);
      // Bytes the gateway sent right after the 101 (its HTTP/2 preface) belong to the session.
      if (head.length > 0) socket.unshift(head);
      this.socket = socket;
      socket.once('close', () => this.closed(socket));
      this.h2.emit('connection', socket);
    });
    req.on('response', (res: IncomingMessage) => {
      // Not upgraded: 401 (wrong token), 403 (not approved, retired) or the gateway is not ready.
      res.resume();
      this.options.logger.error({ status: res.statusCode }, 'the gateway refused the tunnel');
      this.retry(`status ${res.statusCode}`);
    });
    req.on('timeout', () => req.destroy(new Error('tunnel handshake timed out')));
    req.on('error', (err: NodeJS.ErrnoException) => this.retry(err.code ?? err.message));
    req.end();
  }

  private attach(session: ServerHttp2Session): void {
    this.session = session;
    this.attempt = 0;
    this.connects++;
    session.on('error', () => undefined); // the socket's close is what reconnects
    keepPinging(session, this.options.pingIntervalMs ?? 10_000);
    this.options.logger.info({ gateway: this.options.gatewayUrl }, 'tunnel up');
    this.options.onChange(true);
  }

  private closed(socket: Socket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.session = null;
    this.options.logger.warn('tunnel down');
    this.options.onChange(false);
    this.retry('closed');
  }

  private retry(reason: string): void {
    if (this.stopped || this.timer) return;
    const wait = backoffMs(this.attempt++, this.options.baseBackoffMs ?? 500, this.options.maxBackoffMs ?? 30_000);
    this.options.logger.debug({ reason, waitMs: wait }, 'tunnel reconnecting');
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, wait);
    this.timer.unref();
  }
}
