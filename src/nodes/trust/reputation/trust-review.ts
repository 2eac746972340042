import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../../../platform/config/config';
import { KYSELY } from '../../../platform/database/database.module';
import { Database } from '../../../platform/database/schema';
import { PayoutsService } from '../../../payouts/payouts.service';
import { NodesService } from '../../nodes.service';
import { REGISTRY_NODES_MAX } from '../../routing/node-registry';
import { discrepanciesSince, reviewNode } from './node-review';

export const TRUST_ACTOR = 'system:node-trust';
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface ReviewRun {
  reviewed: number;
  suspended: { nodeId: string; providerId: string; reviewId: string; reason: string; fromDay: string; toDay: string }[];
}

/**
 * The consequences (worker role, a BullMQ repeatable job): every approved node's record since its
 * latest approval is held against the thresholds (node-review.ts). Past one, the provider's
 * earnings from the node in the flagged days are put on hold for review first, then the node is
 * suspended, both recorded with actor `system:node-trust` and the reason. In that order, so a
 * crash between the two is mended by the next run: the node is still approved and past the
 * threshold, the hold is a no-op (one open hold per node), the suspension goes through.
 */
@Injectable()
export class NodeTrustReview {
  constructor(
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly nodes: NodesService,
    private readonly payouts: PayoutsService,
  ) {}

  async run(now: Date = new Date()): Promise<ReviewRun> {
    const rule = this.config.nodeTrust.review;
    const approved = await this.db
      .selectFrom('nodes')
      .leftJoin('node_reputation', 'node_reputation.node_id', 'nodes.node_id')
      .select(['nodes.node_id', 'nodes.provider_id', 'nodes.approved_at', 'nodes.registered_at', 'node_reputation.recent_probes'])
      .where('nodes.status', '=', 'approved')
      .orderBy('nodes.node_id')
      .limit(REGISTRY_NODES_MAX)
      .execute();
    if (approved.length === 0) return { reviewed: 0, suspended: [] };
    const approvedAt = new Map(approved.map((n) => [n.node_id, (n.approved_at ?? n.registered_at).getTime()]));
    const { rows: discrepancies } = await sql<{ node_id: string; kind: string; n: number; first_at: Date }>`
      SELECT i.node_id, i.kind, count(*)::int AS n, min(i.at) AS first_at
        FROM node_trust_incidents i JOIN unnest(${[...approvedAt.keys()]}::text[], ${[...approvedAt.values()].map((ms) => new Date(discrepanciesSince(ms, now.getTime(), rule)).toISOString())}::timestamptz[]) AS s(node_id, since)
          ON i.node_id = s.node_id AND i.at > s.since
       WHERE i.type = 'NodeUsageDiscrepancyRecorded'
       GROUP BY i.node_id, i.kind`.execute(this.db);
    const byNode = new Map<string, { kind: string; count: number; firstAtMs: number }[]>();
    for (const d of discrepancies) {
      const list = byNode.get(d.node_id) ?? [];
      list.push({ kind: d.kind, count: d.n, firstAtMs: new Date(d.first_at).getTime() });
      byNode.set(d.node_id, list);
    }
    const result: ReviewRun = { reviewed: approved.length, suspended: [] };
    for (const node of approved) {
      const since = approvedAt.get(node.node_id) as number;
      const decision = reviewNode({ approvedAtMs: since, recentProbes: node.recent_probes ?? [], discrepancies: byNode.get(node.node_id) ?? [] }, rule);
      if (!decision.suspend) continue;
      const reviewId = `review_${randomUUID().replace(/-/g, '')}`;
      const context = { actorId: TRUST_ACTOR, occurredAt: now.toISOString(), correlationId: reviewId };
      const period = { fromDay: dayOf(Math.max(decision.fromMs, since)), toDay: dayOf(now.getTime()) };
      await this.payouts.holdEarnings(node.provider_id, { reviewId, nodeId: node.node_id, ...period, reason: decision.reason }, context);
      await this.nodes.suspend(node.node_id, decision.reason, context);
      result.suspended.push({ nodeId: node.node_id, providerId: node.provider_id, reviewId, reason: decision.reason, ...period });
    }
    return result;
  }
}
