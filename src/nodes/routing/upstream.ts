import { Agent, buildConnector, request } from 'undici';
import { TUNNEL_ONLY_ENDPOINT } from '../node-token';
import { retryAfterMs } from './router';
import { InferenceRequest } from '../../openai/openai-request';
import type { RoutedNode, UpstreamResponse } from '../../inference/gateway/ports';

/**
 * Tunnels of nodes behind NAT (nodes/tunnel's TunnelHub): a request for a node whose agent dialled
 * out goes through its tunnel (held here or relayed to the instance that holds it); null = no
 * tunnel to that node anywhere, so it goes to the node's URL.
 */
export interface NodeTunnels {
  send(
    nodeId: string,
    req: { method: string; path: string; headers: Record<string, string>; body: Buffer },
    signal: AbortSignal,
  ): Promise<Omit<UpstreamResponse, 'retryAfterMs'> | null>;
}

/**
 * One keep-alive connection pool to all node agents and upstream API vendors. The body is the
 * checked request as JSON; nothing of it is logged or kept. `connect` (the node endpoint guard's)
 * checks the address of every new connection, after DNS, so no node or vendor URL reaches inside
 * our network.
 */
export class Upstream {
  private readonly agent: Agent;

  constructor(
    private readonly options: {
      firstByteTimeoutMs: number;
      idleTimeoutMs: number;
      connectionsPerNode: number;
      connect: buildConnector.connector;
      retryAfterMaxMs?: number;
      tunnels?: NodeTunnels;
    },
  ) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: options.connectionsPerNode,
      headersTimeout: options.firstByteTimeoutMs,
      bodyTimeout: options.idleTimeoutMs,
      connect: options.connect,
    });
  }

  async send(node: RoutedNode, req: InferenceRequest, signal: AbortSignal): Promise<UpstreamResponse> {
    const vendor = node.upstream !== undefined;
    const headers = { ...node.headers, 'content-type': 'application/json', accept: req.stream ? 'text/event-stream' : 'application/json' };
    if (!vendor && this.options.tunnels) {
      // Same response shape, same rules after it (failover before the first byte, charge what was relayed).
      const tunnelled = await this.options.tunnels.send(node.nodeId, { method: 'POST', path: req.path, headers, body: req.upstreamBody }, signal);
      if (tunnelled) return this.answer(tunnelled);
    }
    // A tunnel-only node whose tunnel is closed: nothing to dial (the dispatcher fails over).
    if (node.baseUrl === TUNNEL_ONLY_ENDPOINT) throw new Error('the node connects only through its tunnel, which is closed');
    const res = await request(vendor ? vendorUrl(node.baseUrl, req.path) : new URL(req.path, node.baseUrl), {
      method: 'POST',
      headers,
      body: vendor ? vendorBody(node, req) : req.upstreamBody,
      signal,
      dispatcher: this.agent,
    });
    let status = res.statusCode;
    // A vendor refusing our key (401/403) is our configuration, not the client's error: fail over.
    if (vendor && (status === 401 || status === 403)) status = 502;
    return this.answer({ status, headers: res.headers, body: res.body, discard: () => res.body.dump().catch(() => undefined) });
  }

  private answer(res: Omit<UpstreamResponse, 'retryAfterMs'>): UpstreamResponse {
    const out: UpstreamResponse = res;
    const status = res.status;
    if (status === 429) out.retryAfterMs = retryAfterMs(res.headers['retry-after'], Date.now(), this.options.retryAfterMaxMs ?? 300_000);
    return out;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** `https://api.vendor/v1` + `/v1/chat/completions` → `https://api.vendor/v1/chat/completions` (vendors' base URLs end in their version). */
export function vendorUrl(baseUrl: string, path: string): string {
  return baseUrl + (path.startsWith('/v1/') ? path.slice(3) : path);
}

/**
 * The body for a vendor: the checked request (which already asks for usage on streams,
 * `stream_options.include_usage`, and bounds max tokens) with our model id replaced by the
 * vendor's when they differ. Re-serialised only then, and only for upstreams.
 */
function vendorBody(node: RoutedNode, req: InferenceRequest): Buffer {
  const vendorModel = node.upstream?.vendorModels.get(req.model);
  if (!vendorModel) return req.upstreamBody;
  const body = JSON.parse(req.upstreamBody.toString('utf8')) as Record<string, unknown>;
  body.model = vendorModel;
  return Buffer.from(JSON.stringify(body));
}
