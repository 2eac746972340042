import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { SECRETS, Secrets } from '../../platform/security/secrets';
import { proxySecret } from '../node-credentials';
import { NodeStatus } from '../node.events';
import { openUpstreamKeys } from './upstream-keys';
import { Preference, reputationWeight, RoutableNode } from './router';
import { UpstreamRoute, VendorCost } from './upstream-route';

/** Incidents (failed probes, discrepancies) in this window lower a node's routing weight. */
export const REPUTATION_WINDOW_HOURS = 24;

/** More nodes than this is a different system (sharding the registry by model); refuse to load silently. */
export const REGISTRY_NODES_MAX = 10_000;

export interface RegistryNode extends RoutableNode {
  providerId: string;
  name: string;
  /** The node agent's URL. */
  baseUrl: string;
  status: NodeStatus;
  contextLengths: ReadonlyMap<string, number | null>;
  tokenHash: string;
  /** What the gateway sends the agent (Authorization: Bearer …); for an upstream, the vendor's API key (memory only). */
  proxySecret: string;
  /** Set when this is an upstream API vendor, not a community node. */
  route?: UpstreamRoute;
}

export interface RegistrySnapshot {
  byId: ReadonlyMap<string, RegistryNode>;
  /** Approved nodes by each model they are registered for. */
  approvedByModel: ReadonlyMap<string, readonly RegistryNode[]>;
  /** Models served by at least one upstream: the operator's preference between upstreams and community nodes. */
  preferenceByModel: ReadonlyMap<string, Preference>;
  loadedAtMs: number;
}

/**
 * Every non-retired node, in memory, from the `nodes` read model. Refreshed when older than
 * NODE_REGISTRY_REFRESH_MS, in the background (a stale list keeps serving while PostgreSQL is
 * slow or down); only the very first load is awaited. No timers: a process that never routes
 * (the CLI) never loads it.
 */
@Injectable()
export class NodeRegistry {
  private current: RegistrySnapshot | null = null;
  private loading: Promise<RegistrySnapshot> | null = null;

  constructor(
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(SECRETS) private readonly secrets: Secrets,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async snapshot(): Promise<RegistrySnapshot> {
    const current = this.current;
    if (current && Date.now() - current.loadedAtMs < this.config.nodes.registryRefreshMs) return current;
    const loading = this.reload();
    if (!current) return loading;
    loading.catch((err: Error) => this.logger.warn({ err: { name: err.name, message: err.message } }, 'node registry refresh failed; serving the previous list'));
    return current;
  }

  /** Loads now (single flight). Tests and the admin paths use it to see a change at once. */
  reload(): Promise<RegistrySnapshot> {
    this.loading ??= this.load().finally(() => (this.loading = null));
    return this.loading;
  }

  private async load(): Promise<RegistrySnapshot> {
    const rows = await this.db
      .selectFrom('nodes')
      .select(['node_id', 'provider_id', 'name', 'endpoint_url', 'status', 'models', 'token_hash'])
      .where('status', '!=', 'retired')
      .orderBy('node_id')
      .limit(REGISTRY_NODES_MAX + 1)
      .execute();
    if (rows.length > REGISTRY_NODES_MAX) this.logger.error({ max: REGISTRY_NODES_MAX }, 'more nodes than the registry holds; the rest are not routed');
    // Only approved nodes' incidents since their latest approval (an admin who re-approved a node judged the rest).
    const { rows: incidents } = await sql<{ node_id: string; n: number }>`
      SELECT i.node_id, count(*)::int AS n FROM node_trust_incidents i JOIN nodes n ON n.node_id = i.node_id
       WHERE n.status = 'approved' AND i.at > greatest(n.approved_at, now() - make_interval(hours => ${REPUTATION_WINDOW_HOURS}))
       GROUP BY i.node_id`.execute(this.db);
    const recentIncidents = new Map(incidents.map((r) => [r.node_id, r.n]));
    const byId = new Map<string, RegistryNode>();
    const approvedByModel = new Map<string, RegistryNode[]>();
    for (const row of rows.slice(0, REGISTRY_NODES_MAX)) {
      const models = Array.isArray(row.models) ? row.models : [];
      const node: RegistryNode = {
        nodeId: row.node_id,
        providerId: row.provider_id,
        name: row.name,
        baseUrl: row.endpoint_url,
        status: row.status,
        models: models.map((m) => m.id),
        contextLengths: new Map(models.map((m) => [m.id, m.contextLength ?? null])),
        tokenHash: row.token_hash,
        proxySecret: proxySecret(this.secrets, row.node_id, row.token_hash),
        trustWeight: reputationWeight(recentIncidents.get(row.node_id) ?? 0),
      };
      byId.set(node.nodeId, node);
      if (node.status !== 'approved') continue;
      for (const model of node.models) {
        const list = approvedByModel.get(model);
        if (list) list.push(node);
        else approvedByModel.set(model, [node]);
      }
    }
    const preferenceByModel = new Map<string, Preference>();
    for (const node of await loadUpstreamNodes(this.db, this.secrets, this.logger)) {
      byId.set(node.nodeId, node);
      for (const model of node.models) {
        const list = approvedByModel.get(model);
        if (list) list.push(node);
        else approvedByModel.set(model, [node]);
        preferenceByModel.set(model, this.config.nodes.upstreams.preferenceByModel[model] ?? this.config.nodes.upstreams.preference);
      }
    }
    this.current = { byId, approvedByModel, preferenceByModel, loadedAtMs: Date.now() };
    return this.current;
  }
}

/**
 * Active upstream API vendors as routable nodes (src/upstreams): their keys opened into memory,
 * costs by model. The registry and the worker's probe each load them (the probe must not load the
 * router's registry early: a registry loaded once serves a stale list to its next request).
 */
export async function loadUpstreamNodes(db: Kysely<Database>, secrets: Secrets, logger: Logger): Promise<RegistryNode[]> {
  const rows = await db
    .selectFrom('upstream_providers')
    .select(['upstream_id', 'name', 'base_url', 'models', 'key_version'])
    .where('status', '=', 'active')
    .orderBy('upstream_id')
    .limit(1_000)
    .execute();
  if (rows.length === 0) return [];
  const costRows = await db
    .selectFrom('upstream_costs')
    .selectAll()
    .where(
      'upstream_id',
      'in',
      rows.map((r) => r.upstream_id),
    )
    .orderBy('effective_at')
    .orderBy('version')
    .execute();
  const keys = await openUpstreamKeys(db, secrets, rows);
  const out: RegistryNode[] = [];
  for (const row of rows) {
    const apiKey = keys.get(row.upstream_id);
    if (apiKey === undefined) {
      logger.error({ upstreamId: row.upstream_id }, 'upstream key missing or not sealed under this APP_SECRET; not routed');
      continue;
    }
    const models = Array.isArray(row.models) ? row.models : [];
    const costs = new Map<string, VendorCost[]>();
    for (const c of costRows) {
      if (c.upstream_id !== row.upstream_id) continue;
      const cost: VendorCost = {
        model: c.model,
        version: c.version,
        inputMicroUsdPerMTok: BigInt(c.input_micro_usd_per_mtok),
        outputMicroUsdPerMTok: BigInt(c.output_micro_usd_per_mtok),
        perImageMicroUsd: c.per_image_micro_usd === null ? null : BigInt(c.per_image_micro_usd),
        effectiveAt: c.effective_at.toISOString(),
      };
      const list = costs.get(c.model);
      if (list) list.push(cost);
      else costs.set(c.model, [cost]);
    }
    out.push({
      nodeId: row.upstream_id,
      providerId: '',
      name: row.name,
      baseUrl: row.base_url,
      status: 'approved',
      models: models.map((m) => m.id),
      contextLengths: new Map(),
      tokenHash: '',
      proxySecret: apiKey,
      upstream: true,
      route: { upstreamId: row.upstream_id, vendorModels: new Map(models.filter((m) => m.vendorModel).map((m) => [m.id, m.vendorModel as string])), costs },
    });
  }
  return out;
}
