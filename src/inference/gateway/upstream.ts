import { Agent, buildConnector, request } from 'undici';
import { InferenceRequest } from './openai-request';
import { RoutedNode, UpstreamResponse } from './ports';

/**
 * One keep-alive connection pool to all node agents. The body is the checked request as JSON;
 * nothing of it is logged or kept. `connect` (the node endpoint guard's) checks the address of
 * every new connection, after DNS, so no node URL reaches inside our network.
 */
export class Upstream {
  private readonly agent: Agent;

  constructor(options: { firstByteTimeoutMs: number; idleTimeoutMs: number; connectionsPerNode: number; connect: buildConnector.connector }) {
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections: options.connectionsPerNode, headersTimeout: options.firstByteTimeoutMs, bodyTimeout: options.idleTimeoutMs, connect: options.connect });
  }

  async send(node: RoutedNode, req: InferenceRequest, signal: AbortSignal): Promise<UpstreamResponse> {
    const res = await request(new URL(req.path, node.baseUrl), {
      method: 'POST',
      headers: { ...node.headers, 'content-type': 'application/json', accept: req.stream ? 'text/event-stream' : 'application/json' },
      body: req.upstreamBody,
      signal,
      dispatcher: this.agent,
    });
    return { status: res.statusCode, headers: res.headers, body: res.body, discard: () => res.body.dump().catch(() => undefined) };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
