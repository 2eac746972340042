import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { NodesService } from '../nodes.service';
import { REGISTRY_NODES_MAX } from '../routing/node-registry';
import { NodeLiveness } from '../routing/node-liveness';

export const SWEEP_ACTOR = 'system:node-sweep';

/**
 * Records liveness transitions as events: a node whose heartbeat key expired went offline, one
 * heartbeating again came online. Routing never waits for these events (it reads Redis); they are
 * the history (uptime, payouts, the provider's view). The read model says what was last recorded;
 * the decider re-checks the stream, so a lagging read model or two sweeps at once record nothing twice.
 */
@Injectable()
export class NodeSweep {
  constructor(
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    private readonly liveness: NodeLiveness,
    private readonly nodes: NodesService,
  ) {}

  async sweep(): Promise<{ wentOffline: string[]; cameOnline: string[] }> {
    const rows = await this.db.selectFrom('nodes').select(['node_id', 'online']).where('status', '!=', 'retired').orderBy('node_id').limit(REGISTRY_NODES_MAX).execute();
    const alive = await this.liveness.heartbeats(rows.map((r) => r.node_id));
    const down = rows.filter((r) => r.online && !alive.has(r.node_id)).map((r) => r.node_id);
    const up = rows.filter((r) => !r.online && alive.has(r.node_id)).map((r) => r.node_id);
    const lastSeen = await this.liveness.lastSeen(down);
    const context = { actorId: SWEEP_ACTOR, occurredAt: new Date().toISOString() };
    const wentOffline: string[] = [];
    const cameOnline: string[] = [];
    for (const id of down) if (await this.nodes.recordLiveness(id, false, lastSeen.get(id) ?? null, context)) wentOffline.push(id);
    for (const id of up) if (await this.nodes.recordLiveness(id, true, null, context)) cameOnline.push(id);
    return { wentOffline, cameOnline };
  }
}
