import { once } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Pool } from 'undici';
import type { Logger } from '../platform/observability/logger';
import { sameCredential } from './gateway-auth';

/** The OpenAI paths the agent forwards; anything else is 404 (the engine's admin routes stay private). */
export const FORWARDED_ROUTES: ReadonlySet<string> = new Set([
  'POST /v1/chat/completions',
  'POST /v1/completions',
  'POST /v1/embeddings',
  'POST /v1/images/generations',
  'GET /v1/models',
]);

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the gateway's credential never travel on. */
const DROPPED_REQUEST_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
  'authorization',
  'proxy-authorization',
]);
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

export interface ProxyOptions {
  engineUrl: string;
  /** Sent to the engine as its own Bearer key, when it wants one. */
  engineApiKey: string | null;
  /** Requests forwarded at once; more wait in a queue. */
  maxConcurrency: number;
  /** Requests waiting; beyond, 429 at once. */
  maxQueue: number;
  /** Time for the engine to answer with headers. */
  engineHeadersTimeoutMs: number;
  /** Longest a request may take here, queue included; then it is cut (the gateway charges what it relayed). */
  maxRequestMs: number;
}

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { message, type: status === 401 ? 'invalid_request_error' : 'server_error', param: null, code } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Fronts the engine: only requests carrying the gateway's credential (learned from heartbeats)
 * pass; bodies stream through in both directions without buffering and are never logged.
 */
export class EngineProxy {
  private readonly pool: Pool;
  private inFlightCount = 0;
  private readonly waiting: (() => void)[] = [];
  /** `Bearer <secret>` once the gateway has told us the secret; until then everything is refused. */
  private expectedAuthorization: string | null = null;

  constructor(
    private readonly options: ProxyOptions,
    private readonly logger: Logger,
  ) {
    this.pool = new Pool(options.engineUrl, { connections: Math.max(1, options.maxConcurrency), headersTimeout: options.engineHeadersTimeoutMs, bodyTimeout: 0 });
  }

  setGatewaySecret(secret: string): void {
    this.expectedAuthorization = `Bearer ${secret}`;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  get queueDepth(): number {
    return this.waiting.length;
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const expected = this.expectedAuthorization;
    if (expected === null || !sameCredential(req.headers.authorization, expected)) {
      req.resume();
      return refuse(res, 401, 'gateway_credentials_required', 'This node only serves requests from its Tollgate gateway.');
    }
    const path = (req.url ?? '/').split('?')[0];
    if (!FORWARDED_ROUTES.has(`${req.method} ${path}`)) {
      req.resume();
      return refuse(res, 404, 'not_found', 'Not an OpenAI route this node serves.');
    }
    if (this.inFlightCount >= this.options.maxConcurrency && this.waiting.length >= this.options.maxQueue) {
      req.resume();
      return refuse(res, 429, 'node_busy', 'This node is at capacity.');
    }
    void this.forward(req, res, path);
  };

  private async forward(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const abort = new AbortController();
    const onClose = () => abort.abort();
    res.on('close', onClose); // the gateway went away: stop the engine's work too
    let timedOut = false;
    // A total bound, as the gateway has one: no engine keeps a request (and its hold) open for ever.
    const total = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, this.options.maxRequestMs);
    total.unref();
    if (this.inFlightCount >= this.options.maxConcurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlightCount++;
    try {
      if (abort.signal.aborted) {
        if (timedOut && !res.headersSent) refuse(res, 504, 'engine_timeout', "The engine did not answer within this node's time limit.");
        return;
      }
      let upstream;
      try {
        upstream = await this.pool.request({
          method: req.method as 'GET' | 'POST',
          path,
          headers: this.requestHeaders(req.headers),
          body: req.method === 'GET' ? null : req,
          signal: abort.signal,
        });
      } catch (err) {
        if (timedOut && !res.headersSent) refuse(res, 504, 'engine_timeout', "The engine did not answer within this node's time limit.");
        else if (!abort.signal.aborted) {
          this.logger.warn({ err: { name: (err as Error).name, code: (err as { code?: string }).code } }, 'engine unreachable');
          if (!res.headersSent) refuse(res, 502, 'engine_unavailable', 'The engine behind this node did not answer.');
        }
        return;
      }
      res.writeHead(upstream.statusCode, responseHeaders(upstream.headers));
      res.flushHeaders();
      try {
        for await (const chunk of upstream.body) {
          if (!res.write(chunk)) await once(res, 'drain', { signal: abort.signal });
        }
        res.end();
      } catch {
        // The engine broke mid-stream (or the gateway left): cut the connection so the gateway
        // sees a broken response, never a clean but truncated one.
        res.destroy();
        upstream.body.destroy();
      }
    } finally {
      clearTimeout(total);
      this.inFlightCount--;
      res.off('close', onClose);
      this.waiting.shift()?.();
    }
  }

  private requestHeaders(incoming: IncomingHttpHeaders): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    // Names starting with ':' are HTTP/2 pseudo-headers (requests that came through the tunnel).
    for (const [name, value] of Object.entries(incoming)) if (value !== undefined && !DROPPED_REQUEST_HEADERS.has(name) && !name.startsWith(':')) out[name] = value;
    if (this.options.engineApiKey) out.authorization = `Bearer ${this.options.engineApiKey}`;
    return out;
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => undefined);
  }
}

function responseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !DROPPED_RESPONSE_HEADERS.has(name)) out[name] = value;
  return out;
}
