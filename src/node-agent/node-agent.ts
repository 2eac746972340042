import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { request } from 'undici';
import { createLogger, Logger } from '../platform/observability/logger';
import { EngineProxy } from './engine-proxy';
import { TunnelClient } from './tunnel-client';

export interface NodeAgentOptions {
  /** The Tollgate gateway, e.g. https://api.tollgate.dev */
  gatewayUrl: string;
  /** tg_node_…: shown once at registration. */
  nodeToken: string;
  /** The OpenAI-compatible engine next to the agent (vLLM, Ollama, llama.cpp server). */
  engineUrl: string;
  engineApiKey: string | null;
  host: string;
  /** 0 = any free port (tests). */
  port: number;
  maxConcurrency: number;
  maxQueue: number;
  /** null = as the gateway advises in each heartbeat answer. */
  heartbeatIntervalMs: number | null;
  /** Longest one request may take through the agent, queue included (default AGENT_DEFAULTS.maxRequestMs). */
  maxRequestMs?: number;
  /** Dial out to the gateway and serve requests over that tunnel instead of listening (a node behind NAT). */
  tunnel?: boolean;
  /** Reconnect backoff of the tunnel (tests shorten it). */
  tunnelBackoffMs?: { base: number; max: number };
  logger?: Logger;
}

/** maxRequestMs: the gateway's own default bound (INFERENCE_MAX_REQUEST_MS). */
export const AGENT_DEFAULTS = { host: '0.0.0.0', port: 8080, maxConcurrency: 32, maxQueue: 256, maxRequestMs: 600_000 } as const;
const ENGINE_CHECK_TIMEOUT_MS = 3_000;
const GATEWAY_TIMEOUT_MS = 5_000;
const DEFAULT_INTERVAL_MS = 5_000;
/** Model ids reported per heartbeat (the gateway accepts this many). */
const MODELS_REPORTED_MAX = 256;

export interface AgentStatus {
  url: string | null;
  /** Models the engine listed at the last check. */
  engineModels: string[];
  engineReachable: boolean;
  lastHeartbeatOk: boolean;
  /** From the gateway: pending, approved, suspended. */
  nodeStatus: string | null;
}

/**
 * The node agent: fronts the engine (only the gateway may call it) and heartbeats to the gateway
 * with what the engine serves and how loaded it is. Heartbeat answers carry the gateway's
 * credential for this node, which the proxy then requires on every request.
 */
export class NodeAgent {
  private readonly logger: Logger;
  private readonly proxy: EngineProxy;
  private server: Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly state: AgentStatus = { url: null, engineModels: [], engineReachable: false, lastHeartbeatOk: false, nodeStatus: null };
  private beating: Promise<void> | null = null;
  private tunnelClient: TunnelClient | null = null;

  constructor(private readonly options: NodeAgentOptions) {
    this.logger = options.logger ?? createLogger('info', 'tollgate-node-agent');
    this.proxy = new EngineProxy(
      {
        engineUrl: options.engineUrl,
        engineApiKey: options.engineApiKey,
        maxConcurrency: options.maxConcurrency,
        maxQueue: options.maxQueue,
        engineHeadersTimeoutMs: 300_000,
        maxRequestMs: options.maxRequestMs ?? AGENT_DEFAULTS.maxRequestMs,
      },
      this.logger,
    );
  }

  async start(): Promise<{ url: string | null }> {
    if (this.options.tunnel) return this.startTunnel();
    this.server = createServer(this.proxy.handle);
    this.server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port, this.options.host, () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.state.url = `http://${this.options.host === '0.0.0.0' ? '127.0.0.1' : this.options.host}:${port}`;
    this.logger.info({ url: this.state.url, engine: this.options.engineUrl, gateway: this.options.gatewayUrl }, 'node agent listening');
    await this.heartbeatOnce();
    return { url: this.state.url };
  }

  /**
   * Tunnel mode: nothing listens. The first heartbeat (models: none yet) teaches the proxy the
   * gateway's credential, then the tunnel opens; each time it comes up or goes down the agent
   * heartbeats at once, reporting its models only while the tunnel is up, so the router sends
   * requests only while they can arrive.
   */
  private async startTunnel(): Promise<{ url: null }> {
    this.tunnelClient = new TunnelClient({
      gatewayUrl: this.options.gatewayUrl.replace(/\/+$/, ''),
      nodeToken: this.options.nodeToken,
      handler: this.proxy.handle,
      onChange: () => void this.heartbeatSoon(),
      logger: this.logger,
      baseBackoffMs: this.options.tunnelBackoffMs?.base,
      maxBackoffMs: this.options.tunnelBackoffMs?.max,
    });
    this.logger.info({ engine: this.options.engineUrl, gateway: this.options.gatewayUrl }, 'node agent dialling out (tunnel)');
    await this.heartbeatOnce();
    this.tunnelClient.start();
    return { url: null };
  }

  /** The tunnel (tunnel mode), for tests and status. */
  get tunnel(): TunnelClient | null {
    return this.tunnelClient;
  }

  /** A heartbeat after the one in progress, if any (its report may predate the change). */
  private async heartbeatSoon(): Promise<void> {
    await this.beating;
    await this.heartbeatOnce();
  }

  status(): AgentStatus {
    return { ...this.state, engineModels: [...this.state.engineModels] };
  }

  /** One heartbeat now (also what the timer runs); never throws. */
  heartbeatOnce(): Promise<void> {
    this.beating ??= this.beat().finally(() => (this.beating = null));
    return this.beating;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.tunnelClient?.stop();
    await this.beating;
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    }
    await this.proxy.close();
  }

  private async beat(): Promise<void> {
    let nextMs = this.options.heartbeatIntervalMs ?? DEFAULT_INTERVAL_MS;
    try {
      const engineModels = await this.engineModels();
      // Through a tunnel, a node is ready only while its tunnel is up (nothing else reaches it).
      const models = this.tunnelClient && !this.tunnelClient.up ? [] : engineModels;
      const res = await request(`${this.options.gatewayUrl.replace(/\/+$/, '')}/nodes/heartbeat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.options.nodeToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ models, inFlight: this.proxy.inFlight, queueDepth: this.proxy.queueDepth }),
        signal: AbortSignal.timeout(GATEWAY_TIMEOUT_MS),
      });
      const answer = (await res.body.json().catch(() => null)) as { proxySecret?: unknown; heartbeatIntervalMs?: unknown; status?: unknown; code?: unknown } | null;
      if (res.statusCode === 200 && typeof answer?.proxySecret === 'string') {
        this.proxy.setGatewaySecret(answer.proxySecret);
        this.state.lastHeartbeatOk = true;
        this.state.nodeStatus = typeof answer.status === 'string' ? answer.status : null;
        if (this.options.heartbeatIntervalMs === null && typeof answer.heartbeatIntervalMs === 'number' && answer.heartbeatIntervalMs > 0) nextMs = answer.heartbeatIntervalMs;
      } else {
        this.state.lastHeartbeatOk = false;
        this.logger.error({ status: res.statusCode, code: typeof answer?.code === 'string' ? answer.code : null }, 'the gateway refused the heartbeat');
      }
    } catch (err) {
      this.state.lastHeartbeatOk = false;
      this.logger.warn({ err: { name: (err as Error).name, code: (err as { code?: string }).code } }, 'heartbeat failed');
    }
    if (!this.stopped) {
      if (this.timer) clearTimeout(this.timer); // an extra beat (tunnel change) replaces the scheduled one
      this.timer = setTimeout(() => void this.heartbeatOnce(), nextMs);
      this.timer.unref();
    }
  }

  /** The engine's own /v1/models: what is actually loaded and ready. An unreachable engine serves nothing. */
  private async engineModels(): Promise<string[]> {
    try {
      const res = await request(`${this.options.engineUrl.replace(/\/+$/, '')}/v1/models`, {
        headers: this.options.engineApiKey ? { authorization: `Bearer ${this.options.engineApiKey}` } : {},
        signal: AbortSignal.timeout(ENGINE_CHECK_TIMEOUT_MS),
      });
      const body = (await res.body.json()) as { data?: { id?: unknown }[] };
      if (res.statusCode !== 200 || !Array.isArray(body?.data)) throw new Error(`engine answered ${res.statusCode}`);
      const ids = body.data.map((m) => m?.id).filter((id): id is string => typeof id === 'string' && id.length > 0 && id.length <= 128);
      if (!this.state.engineReachable) this.logger.info({ models: ids.slice(0, 20) }, 'engine ready');
      this.state.engineReachable = true;
      this.state.engineModels = ids.slice(0, MODELS_REPORTED_MAX);
    } catch (err) {
      if (this.state.engineReachable) this.logger.warn({ err: { name: (err as Error).name, message: (err as Error).message } }, 'engine not answering /v1/models');
      this.state.engineReachable = false;
      this.state.engineModels = [];
    }
    return this.state.engineModels;
  }
}
