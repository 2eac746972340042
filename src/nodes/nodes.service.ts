import { Inject, Injectable } from '@nestjs/common';
import { Kysely, Selectable } from 'kysely';
import { AccountsService } from '../accounts/accounts.service';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { forbidden, notFound, unauthorized } from '../platform/errors/domain-error';
import { KYSELY } from '../platform/database/database.module';
import { Database, NodesTable } from '../platform/database/schema';
import { handleCommand, loadAggregate } from '../platform/event-sourcing/command-handler';
import { CommandContext } from '../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../platform/event-store/event-store.port';
import { SECRETS, Secrets } from '../platform/security/secrets';
import { NodeEndpointGuard } from './endpoint-guard/endpoint-guard';
import { hashNodeToken, proxySecret } from './node-credentials';
import { generateNodeToken, NODE_ID_PATTERN, parseNodeToken, TUNNEL_ONLY_ENDPOINT } from './node-token';
import { NodeCommand, nodeDecider } from './node.decide';
import { NodeHardware, nodeStream, NodeStatus, ServedModel } from './node.events';
import { Heartbeat, NodeLiveness } from './routing/node-liveness';

export interface RegisterNodeInput {
  name: string;
  endpointUrl: string;
  models: ServedModel[];
  hardware?: Partial<NodeHardware>;
}

/** What a provider (or staff) sees of a node: never its token or the token's hash. */
export interface NodeView {
  id: string;
  providerId: string;
  name: string;
  status: NodeStatus;
  suspendedReason: string | null;
  endpointUrl: string;
  models: ServedModel[];
  gpuModel: string | null;
  gpuMemoryGb: number | null;
  region: string | null;
  registeredAt: string;
  approvedAt: string | null;
  /** Live now: a heartbeat younger than the TTL. */
  online: boolean;
  lastHeartbeatAt: string | null;
  /** As the agent last reported them. */
  modelsReady: string[];
  inFlight: number;
  queueDepth: number;
  requestsServed: number;
  errors: number;
}

export const NODES_PER_PROVIDER_MAX = 100;
export const NODE_LIST_MAX = 500;

export interface AuthenticatedNode {
  nodeId: string;
  status: NodeStatus;
  tokenHash: string;
}

/** Node registration and management. HTTP controllers and the CLI both come through here. */
@Injectable()
export class NodesService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(SECRETS) private readonly secrets: Secrets,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly accounts: AccountsService,
    private readonly liveness: NodeLiveness,
    private readonly endpoints: NodeEndpointGuard,
  ) {}

  /** Returns the node token: the only time it exists outside the provider's hands. */
  async register(providerId: string, input: RegisterNodeInput, context: CommandContext): Promise<{ nodeId: string; token: string }> {
    const account = await this.accounts.state(providerId);
    if (!account.exists) throw notFound('account_not_found', 'No such account.');
    if (!account.roles.includes('provider')) throw forbidden('provider_role_required', 'Only providers register nodes; providers join by invite.');
    if (account.status === 'suspended') throw forbidden('account_suspended', 'This account is suspended.');
    const owned = await this.db
      .selectFrom('nodes')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('provider_id', '=', providerId)
      .where('status', '!=', 'retired')
      .executeTakeFirstOrThrow();
    if (Number(owned.n) >= NODES_PER_PROVIDER_MAX) throw forbidden('too_many_nodes', `A provider has at most ${NODES_PER_PROVIDER_MAX} nodes; retire one first.`);
    // Never an internal address (checked again on every connection the gateway opens); a tunnel-only node has none.
    if (input.endpointUrl !== TUNNEL_ONLY_ENDPOINT) await this.endpoints.checkEndpoint(input.endpointUrl);
    const { nodeId, token } = generateNodeToken();
    await this.execute(
      nodeId,
      {
        type: 'RegisterNode',
        nodeId,
        providerId,
        name: typeof input.name === 'string' ? input.name : '',
        hardware: { gpuModel: input.hardware?.gpuModel ?? null, gpuMemoryGb: input.hardware?.gpuMemoryGb ?? null, region: input.hardware?.region ?? null },
        endpointUrl: input.endpointUrl,
        models: input.models,
        tokenHash: hashNodeToken(this.secrets, token),
        at: context.occurredAt,
      },
      context,
    );
    return { nodeId, token };
  }

  /** `ownerId` null = staff. Another provider's node is reported exactly like a missing one. */
  async updateModels(ownerId: string | null, nodeId: string, models: ServedModel[], context: CommandContext): Promise<void> {
    await this.owned(ownerId, nodeId);
    await this.execute(nodeId, { type: 'UpdateNodeModels', models, at: context.occurredAt }, context);
  }

  async retire(ownerId: string | null, nodeId: string, context: CommandContext): Promise<void> {
    await this.owned(ownerId, nodeId);
    await this.execute(nodeId, { type: 'RetireNode', at: context.occurredAt }, context);
  }

  async approve(nodeId: string, context: CommandContext): Promise<void> {
    await this.owned(null, nodeId);
    await this.execute(nodeId, { type: 'ApproveNode', at: context.occurredAt }, context);
  }

  async suspend(nodeId: string, reason: string, context: CommandContext): Promise<void> {
    await this.owned(null, nodeId);
    await this.execute(nodeId, { type: 'SuspendNode', reason, at: context.occurredAt }, context);
  }

  /** The sweep's records of liveness transitions (no-ops when the stream already says so). */
  async recordLiveness(nodeId: string, online: boolean, lastHeartbeatAt: string | null, context: CommandContext): Promise<boolean> {
    const command: NodeCommand = online ? { type: 'RecordNodeOnline', at: context.occurredAt } : { type: 'RecordNodeOffline', lastHeartbeatAt, at: context.occurredAt };
    return (await this.execute(nodeId, command, context)).length > 0;
  }

  async list(ownerId: string | null, limit = NODE_LIST_MAX): Promise<NodeView[]> {
    let q = this.db.selectFrom('nodes').selectAll().orderBy('registered_at', 'desc').limit(Math.min(limit, NODE_LIST_MAX));
    if (ownerId !== null) q = q.where('provider_id', '=', ownerId);
    return this.views(await q.execute());
  }

  async get(ownerId: string | null, nodeId: string): Promise<NodeView> {
    const row = NODE_ID_PATTERN.test(nodeId) ? await this.db.selectFrom('nodes').selectAll().where('node_id', '=', nodeId).executeTakeFirst() : undefined;
    if (!row || (ownerId !== null && row.provider_id !== ownerId)) throw notFound('node_not_found', 'No such node.');
    return (await this.views([row]))[0];
  }

  /**
   * The node agent's token → the node. The stream (not the read model) is the authority, so a
   * node can heartbeat the moment it is registered.
   */
  async authenticate(authorization: string | undefined): Promise<AuthenticatedNode> {
    const token = /^Bearer (\S{1,200})$/.exec(authorization ?? '')?.[1];
    const parsed = token ? parseNodeToken(token) : null;
    if (!token || !parsed) throw unauthorized('invalid_node_token', 'A node token (tg_node_…) is required as a Bearer token.');
    const { state } = await loadAggregate(this.store, nodeStream(parsed.nodeId), nodeDecider);
    if (!state.exists || state.tokenHash !== hashNodeToken(this.secrets, token)) throw unauthorized('invalid_node_token', 'Unknown node token.');
    if (state.status === 'retired') throw forbidden('node_retired', 'This node is retired.');
    return { nodeId: parsed.nodeId, status: state.status, tokenHash: state.tokenHash };
  }

  /** Stores the heartbeat (Redis, with the TTL) and answers with what the agent needs. */
  async heartbeat(
    node: AuthenticatedNode,
    report: Omit<Heartbeat, 'at'>,
  ): Promise<{ nodeId: string; status: NodeStatus; proxySecret: string; heartbeatIntervalMs: number; heartbeatTtlMs: number }> {
    const { heartbeatTtlMs, heartbeatIntervalMs } = this.config.nodes;
    await this.liveness.recordHeartbeat(node.nodeId, { at: new Date().toISOString(), ...report }, heartbeatTtlMs);
    return { nodeId: node.nodeId, status: node.status, proxySecret: proxySecret(this.secrets, node.nodeId, node.tokenHash), heartbeatIntervalMs, heartbeatTtlMs };
  }

  private async owned(ownerId: string | null, nodeId: string): Promise<void> {
    if (!NODE_ID_PATTERN.test(nodeId)) throw notFound('node_not_found', 'No such node.');
    const { state } = await loadAggregate(this.store, nodeStream(nodeId), nodeDecider);
    if (!state.exists || (ownerId !== null && state.providerId !== ownerId)) throw notFound('node_not_found', 'No such node.');
  }

  private async execute(nodeId: string, command: NodeCommand, context: CommandContext) {
    return (await handleCommand(this.store, nodeStream(nodeId), nodeDecider, command, context)).events;
  }

  private async views(rows: Selectable<NodesTable>[]): Promise<NodeView[]> {
    const runtime = await this.liveness.runtime(rows.map((r) => r.node_id));
    return rows.map((r) => {
      const rt = runtime.get(r.node_id);
      return {
        id: r.node_id,
        providerId: r.provider_id,
        name: r.name,
        status: r.status,
        suspendedReason: r.suspended_reason,
        endpointUrl: r.endpoint_url,
        models: r.models,
        gpuModel: r.gpu_model,
        gpuMemoryGb: r.gpu_memory_gb,
        region: r.region,
        registeredAt: r.registered_at.toISOString(),
        approvedAt: r.approved_at?.toISOString() ?? null,
        online: r.status !== 'retired' && (rt?.live ?? false),
        lastHeartbeatAt: rt?.lastHeartbeatAt ?? null,
        modelsReady: rt?.heartbeat?.models ?? [],
        inFlight: rt?.heartbeat?.inFlight ?? 0,
        queueDepth: rt?.heartbeat?.queueDepth ?? 0,
        requestsServed: rt?.requestsServed ?? 0,
        errors: rt?.errors ?? 0,
      };
    });
  }
}
