import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Agent, request } from 'undici';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { NodeEndpointGuard } from '../nodes/endpoint-guard/endpoint-guard';
import { NodeLiveness } from '../nodes/routing/node-liveness';
import { Kysely } from 'kysely';
import { KYSELY } from '../platform/database/database.module';
import { Database } from '../platform/database/schema';
import { loadUpstreamNodes, RegistryNode } from '../nodes/routing/node-registry';
import { SECRETS, Secrets } from '../platform/security/secrets';
import { retryAfterMs } from '../nodes/routing/router';
import { Logger } from '../platform/observability/logger';
import { LOGGER } from '../platform/observability/tokens';

/** A vendor's model list is read up to this size (some list hundreds of models). */
const MODELS_BODY_MAX = 1024 * 1024;

export type ProbeResult = 'live' | 'down' | 'rate_limited';

/**
 * Upstreams have no agent to heartbeat: the worker asks each one `GET {baseUrl}/models` (cheap,
 * free at every vendor we know) every UPSTREAM_PROBE_INTERVAL_MS and writes the same Redis
 * heartbeat a node agent would (TTL UPSTREAM_LIVE_TTL_MS), with the models ready = ours whose
 * vendor name it lists. So the router reads upstreams exactly like nodes, in the same round trip,
 * and nothing is probed per request. A failed probe takes the upstream out at once; a 429 keeps it
 * live but rests it for its Retry-After.
 */
@Injectable()
export class UpstreamProber implements OnModuleDestroy {
  private readonly agent: Agent;

  constructor(
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(SECRETS) private readonly secrets: Secrets,
    private readonly liveness: NodeLiveness,
    endpoints: NodeEndpointGuard,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.agent = new Agent({ keepAliveTimeout: 10_000, connections: 4, connect: endpoints.connector() });
  }

  async probeAll(): Promise<Record<string, ProbeResult>> {
    const upstreams = await loadUpstreamNodes(this.db, this.secrets, this.logger);
    const results = await Promise.all(upstreams.map(async (n) => [n.nodeId, await this.probe(n)] as const));
    return Object.fromEntries(results);
  }

  private async probe(node: RegistryNode): Promise<ProbeResult> {
    const { probeTimeoutMs, liveTtlMs, retryAfterMaxMs } = this.config.nodes.upstreams;
    try {
      const res = await request(`${node.baseUrl}/models`, {
        method: 'GET',
        headers: { authorization: `Bearer ${node.proxySecret}`, accept: 'application/json' },
        dispatcher: this.agent,
        signal: AbortSignal.timeout(probeTimeoutMs),
      });
      if (res.statusCode === 429) {
        await res.body.dump().catch(() => undefined);
        await this.beat(node, node.models, liveTtlMs);
        await this.liveness.startCooldown(node.nodeId, retryAfterMs(res.headers['retry-after'], Date.now(), retryAfterMaxMs) ?? this.config.nodes.cooldownBaseMs);
        return 'rate_limited';
      }
      if (res.statusCode < 200 || res.statusCode >= 300) {
        await res.body.dump().catch(() => undefined);
        this.logger.warn({ upstreamId: node.nodeId, status: res.statusCode }, 'upstream probe refused');
        await this.liveness.markDown(node.nodeId);
        return 'down';
      }
      const listed = await readModelIds(res.body);
      const vendorModels = node.route?.vendorModels;
      // A vendor whose list we cannot read is trusted for every model registered (it answered 2xx).
      const ready = listed === null ? node.models : node.models.filter((id) => listed.has(vendorModels?.get(id) ?? id));
      await this.beat(node, ready, liveTtlMs);
      return 'live';
    } catch (err) {
      this.logger.warn({ upstreamId: node.nodeId, err: { name: (err as Error).name, code: (err as { code?: string }).code } }, 'upstream probe failed');
      await this.liveness.markDown(node.nodeId).catch(() => undefined);
      return 'down';
    }
  }

  private beat(node: RegistryNode, models: readonly string[], ttlMs: number): Promise<void> {
    return this.liveness.recordHeartbeat(node.nodeId, { at: new Date().toISOString(), models: [...models], inFlight: 0, queueDepth: 0 }, ttlMs);
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}

/** `{data: [{id}]}` (OpenAI's list) → the ids; null when the body is not that shape. */
async function readModelIds(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<Set<string> | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MODELS_BODY_MAX) {
      body.destroy();
      return null;
    }
    chunks.push(chunk);
  }
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: unknown };
    if (!Array.isArray(parsed.data)) return null;
    return new Set(parsed.data.map((m: { id?: unknown }) => m?.id).filter((id): id is string => typeof id === 'string'));
  } catch {
    return null;
  }
}
