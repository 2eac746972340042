import { Inject, Injectable } from '@nestjs/common';
import { Kysely, Selectable, sql } from 'kysely';
import { APP_CONFIG, AppConfig } from '../../../platform/config/config';
import { invalid } from '../../../platform/errors/domain-error';
import { KYSELY } from '../../../platform/database/database.module';
import { Database, EarningsHoldsTable } from '../../../platform/database/schema';
import { UsageQueries } from '../../../dashboards/usage.queries';
import { usageMetrics } from '../../../dashboards/usage.views';
import { formatUsd } from '../../../platform/money';
import { PayoutQueries } from '../../../payouts/payout.queries';
import { NodesService } from '../../nodes.service';
import { REPUTATION_WINDOW_HOURS } from '../../routing/node-registry';
import { reputationWeight } from '../../routing/router';
import { reportedToCounted } from '../counting/drift';

/** Days of history a reputation view sums (the incidents read model keeps 31). */
export const REPUTATION_DAYS = 30;
export const INCIDENTS_SHOWN = 50;
export const REVIEWS_LIST_MAX = 200;
const DAY_MS = 86_400_000;
export const REVIEW_STATUSES = ['open', 'released', 'clawed_back'] as const;

export interface ReviewView {
  reviewId: string;
  providerId: string;
  nodeId: string;
  status: EarningsHoldsTable['status'];
  fromDay: string;
  toDay: string;
  reason: string;
  heldAt: string;
  /** An open review: what the flagged days earned, as the read models show it now. */
  heldMicroUsd: string | null;
  heldUsd: string | null;
  decidedAt: string | null;
  decidedBy: string | null;
  decisionReason: string | null;
  clawedBackMicroUsd: string | null;
}

export interface DayRecord {
  day: string;
  probesPassed: number;
  probesFailed: number;
  probesUnanswered: number;
  discrepancies: Record<string, number>;
  countedRequests: number;
  reportedTokens: number;
  countedTokens: number;
}

export interface NodeReputationView {
  nodeId: string;
  providerId: string;
  status: string;
  suspendedReason: string | null;
  /** Evidence counts from the latest approval: an admin who re-approves a node has judged the rest. */
  evaluatedSince: string | null;
  /** The router's preference for the node, in (0, 1]: lowered by incidents in the last 24 h. */
  routingWeight: number;
  thresholds: { probeWindow: number; probeFailuresToSuspend: number; discrepancyWindowHours: number; discrepanciesToSuspend: number };
  /** The REPUTATION_DAYS UTC days ending today. */
  period: { from: string; to: string };
  probes: { passed: number; failed: number; unanswered: number; recentJudged: number; recentFailed: number };
  discrepancies: { total: number; byKind: Record<string, number> };
  /** Output tokens the node reported vs what the gateway counted in the text it relayed (counted models only). */
  counting: { requests: number; reportedTokens: number; countedTokens: number; reportedToCounted: number | null };
  traffic: { requests: number; upstreamFailed: number; errorRate: number | null; latencyP50Ms: number | null; latencyP95Ms: number | null; ttftP50Ms: number | null };
  days: DayRecord[];
  reviews: ReviewView[];
  /** Staff only: each failed probe and discrepancy (metadata). Providers see day counts, never probe times. */
  incidents?: { type: string; kind: string; model: string; reported: string | null; bound: string | null; at: string }[];
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The reputation read models, as the provider and staff see them. */
@Injectable()
export class NodeReputationQueries {
  constructor(
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly nodes: NodesService,
    private readonly usage: UsageQueries,
    private readonly payouts: PayoutQueries,
  ) {}

  /** `ownerId` null = staff (with incidents); a provider's other node answers 404 like a missing one. */
  async view(ownerId: string | null, nodeId: string, now: Date = new Date()): Promise<NodeReputationView> {
    const node = await this.nodes.get(ownerId, nodeId);
    const row = await this.db.selectFrom('nodes').select(['approved_at']).where('node_id', '=', nodeId).executeTakeFirst();
    const approvedAt = row?.approved_at ?? null;
    const period = { from: dayOf(now.getTime() - (REPUTATION_DAYS - 1) * DAY_MS), to: dayOf(now.getTime()) };
    const [daily, ring, recent, traffic, reviews, incidents] = await Promise.all([
      this.db
        .selectFrom('node_trust_daily')
        .selectAll()
        .select(sql<string>`day::text`.as('day_text'))
        .where('node_id', '=', nodeId)
        .where('day', '>=', period.from)
        .orderBy('day')
        .execute(),
      this.db.selectFrom('node_reputation').select('recent_probes').where('node_id', '=', nodeId).executeTakeFirst(),
      sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM node_trust_incidents WHERE node_id = ${nodeId} AND at > greatest(${approvedAt}::timestamptz, ${now}::timestamptz - make_interval(hours => ${REPUTATION_WINDOW_HOURS}))`.execute(
        this.db,
      ),
      this.usage.totals({ nodeId }, { ...period, days: REPUTATION_DAYS }),
      this.reviews({ nodeId }),
      ownerId === null
        ? this.db.selectFrom('node_trust_incidents').selectAll().where('node_id', '=', nodeId).orderBy('at', 'desc').limit(INCIDENTS_SHOWN).execute()
        : Promise.resolve(null),
    ]);
    const days: DayRecord[] = daily.map((d) => ({
      day: d.day_text,
      probesPassed: Number(d.probes_passed),
      probesFailed: Number(d.probes_failed),
      probesUnanswered: Number(d.probes_unanswered),
      discrepancies: d.discrepancies,
      countedRequests: Number(d.counted_requests),
      reportedTokens: Number(d.reported_tokens),
      countedTokens: Number(d.counted_tokens),
    }));
    const sum = (f: (d: DayRecord) => number) => days.reduce((n, d) => n + f(d), 0);
    const byKind: Record<string, number> = {};
    for (const d of days) for (const [kind, n] of Object.entries(d.discrepancies)) byKind[kind] = (byKind[kind] ?? 0) + n;
    const judged = (ring?.recent_probes ?? []).filter(([at]) => approvedAt === null || at > approvedAt.getTime()).slice(-this.config.nodeTrust.review.probeWindow);
    const rule = this.config.nodeTrust.review;
    const metrics = usageMetrics(traffic);
    const view: NodeReputationView = {
      nodeId,
      providerId: node.providerId,
      status: node.status,
      suspendedReason: node.suspendedReason,
      evaluatedSince: approvedAt?.toISOString() ?? null,
      routingWeight: node.status === 'approved' ? reputationWeight(recent.rows[0]?.n ?? 0) : 0,
      thresholds: {
        probeWindow: rule.probeWindow,
        probeFailuresToSuspend: rule.probeFailuresToSuspend,
        discrepancyWindowHours: rule.discrepancyWindowMs / 3_600_000,
        discrepanciesToSuspend: rule.discrepanciesToSuspend,
      },
      period,
      probes: {
        passed: sum((d) => d.probesPassed),
        failed: sum((d) => d.probesFailed),
        unanswered: sum((d) => d.probesUnanswered),
        recentJudged: judged.length,
        recentFailed: judged.filter(([, passed]) => passed === 0).length,
      },
      discrepancies: { total: sum((d) => Object.values(d.discrepancies).reduce((a, b) => a + b, 0)), byKind },
      counting: {
        requests: sum((d) => d.countedRequests),
        reportedTokens: sum((d) => d.reportedTokens),
        countedTokens: sum((d) => d.countedTokens),
        reportedToCounted: reportedToCounted(
          sum((d) => d.reportedTokens),
          sum((d) => d.countedTokens),
        ),
      },
      traffic: {
        requests: metrics.requests,
        upstreamFailed: metrics.upstreamFailed,
        errorRate: metrics.errorRate,
        latencyP50Ms: metrics.latencyP50Ms,
        latencyP95Ms: metrics.latencyP95Ms,
        ttftP50Ms: metrics.ttftP50Ms,
      },
      days,
      reviews,
    };
    if (incidents) view.incidents = incidents.map((i) => ({ type: i.type, kind: i.kind, model: i.model, reported: i.reported, bound: i.bound, at: i.at.toISOString() }));
    return view;
  }

  /** Reviews (holds and their decisions), newest first; open ones with the amount they hold now. */
  async reviews(filter: { status?: string; nodeId?: string; providerId?: string; reviewId?: string }): Promise<ReviewView[]> {
    if (filter.status !== undefined && !(REVIEW_STATUSES as readonly string[]).includes(filter.status))
      throw invalid('invalid_query', `status must be one of ${REVIEW_STATUSES.join(', ')}.`);
    let q = this.db
      .selectFrom('earnings_holds')
      .selectAll()
      .select([sql<string>`from_day::text`.as('from_text'), sql<string>`to_day::text`.as('to_text')])
      .orderBy('held_at', 'desc')
      .limit(REVIEWS_LIST_MAX);
    if (filter.status) q = q.where('status', '=', filter.status as EarningsHoldsTable['status']);
    if (filter.nodeId) q = q.where('node_id', '=', filter.nodeId);
    if (filter.providerId) q = q.where('provider_id', '=', filter.providerId);
    if (filter.reviewId) q = q.where('review_id', '=', filter.reviewId);
    const rows = await q.execute();
    return Promise.all(rows.map((r) => this.reviewView(r)));
  }

  private async reviewView(r: Selectable<EarningsHoldsTable> & { from_text: string; to_text: string }): Promise<ReviewView> {
    let held: bigint | null = null;
    if (r.status === 'open') {
      const { heldForReview } = await this.payouts.earnings(r.provider_id, new Date(), [{ reviewId: r.review_id, nodeId: r.node_id, fromDay: r.from_text, toDay: r.to_text }]);
      held = heldForReview[r.review_id] ?? 0n;
    }
    return {
      reviewId: r.review_id,
      providerId: r.provider_id,
      nodeId: r.node_id,
      status: r.status,
      fromDay: r.from_text,
      toDay: r.to_text,
      reason: r.reason,
      heldAt: r.held_at.toISOString(),
      heldMicroUsd: held?.toString() ?? null,
      heldUsd: held === null ? null : formatUsd(held),
      decidedAt: r.decided_at?.toISOString() ?? null,
      decidedBy: r.decided_by,
      decisionReason: r.decision_reason,
      clawedBackMicroUsd: r.clawed_back_micro_usd === null ? null : String(r.clawed_back_micro_usd),
    };
  }
}
