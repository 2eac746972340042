import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { KYSELY } from '../platform/database/database.module';
import { Database } from '../platform/database/schema';
import { formatUsd } from '../platform/money';
import { Period } from './period';
import { UsageQueries } from './usage.queries';
import { errorRate, percentileMs } from './usage.views';

const MINUTE_MS = 60_000;
/** Request-rate windows, in minutes, read from network_minutes. */
export const RATE_WINDOWS = [1, 5, 60] as const;
const TOP_MODELS = 10;
const NODES_LISTED = 100;

const money = (micro: bigint) => ({ microUsd: micro.toString(), usd: formatUsd(micro) });

/** Admins' and finance's view of the whole network: nodes, load, revenue, models, failing nodes. */
@Injectable()
export class NetworkDashboardService {
  constructor(
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    private readonly usage: UsageQueries,
  ) {}

  async view(period: Period, now: Date) {
    const network = { network: true as const };
    const [nodes, rates, byDay, allTime, models, perNode, bySource] = await Promise.all([
      this.nodeCounts(),
      this.requestRates(now),
      this.usage.aggregate(network, period, 'day'),
      sql<{
        cost: string;
        share: string;
      }>`SELECT coalesce(sum(cost_micro_usd), 0)::text AS cost, coalesce(sum(provider_share_micro_usd), 0)::text AS share FROM usage_daily`.execute(this.db),
      this.usage.aggregate(network, period, 'model', { order: 'cost', limit: TOP_MODELS }),
      this.usage.aggregate(network, period, 'node', { excludeNoNode: true }),
      this.bySource(period),
    ]);
    const revenue = (cost: bigint, share: bigint) => ({ spend: money(cost), providerShare: money(share), platform: money(cost - share) });
    const periodCost = byDay.rows.reduce((s, r) => s + r.costMicroUsd, 0n);
    const periodShare = byDay.rows.reduce((s, r) => s + r.providerShareMicroUsd, 0n);
    const names =
      perNode.rows.length > 0
        ? new Map(
            (
              await this.db
                .selectFrom('nodes')
                .select(['node_id', 'name', 'provider_id', 'status', 'online'])
                .where(
                  'node_id',
                  'in',
                  perNode.rows.map((r) => r.group),
                )
                .execute()
            ).map((n) => [n.node_id, n]),
          )
        : new Map();
    const nodeRates = perNode.rows
      .map((r) => ({
        nodeId: r.group,
        name: names.get(r.group)?.name ?? null,
        providerId: names.get(r.group)?.provider_id ?? null,
        status: names.get(r.group)?.status ?? null,
        online: names.get(r.group)?.online ?? null,
        requests: r.requests,
        upstreamFailed: r.upstreamFailed,
        errorRate: errorRate(r.upstreamFailed, r.requests) as number,
        latencyP95Ms: percentileMs(r.latency, 0.95),
      }))
      .sort((a, b) => b.errorRate - a.errorRate || b.requests - a.requests || (a.nodeId < b.nodeId ? -1 : 1))
      .slice(0, NODES_LISTED);
    return {
      period,
      nodes,
      requestsPerMinute: rates,
      revenue: {
        period: revenue(periodCost, periodShare),
        byDay: byDay.rows.map((r) => ({ day: r.group, requests: r.requests, ...revenue(r.costMicroUsd, r.providerShareMicroUsd) })),
        allTime: revenue(BigInt(allTime.rows[0].cost), BigInt(allTime.rows[0].share)),
      },
      topModels: models.rows.map((r) => ({
        model: r.group,
        requests: r.requests,
        spend: money(r.costMicroUsd),
        errorRate: errorRate(r.upstreamFailed, r.requests),
        latencyP50Ms: percentileMs(r.latency, 0.5),
        latencyP95Ms: percentileMs(r.latency, 0.95),
      })),
      nodeErrorRates: nodeRates,
      bySource,
    };
  }

  /**
   * Traffic and margin in the period, community nodes against upstream API vendors (issue 20):
   * a community request's margin is its spend less the provider share; an upstream's, its spend
   * less what the vendor charges (the `vendor:*` postings of the ledger in the same days).
   */
  private async bySource(period: Period) {
    const { rows } = await sql<{ upstream: boolean; requests: string; failed: string; cost: string; share: string }>`
      SELECT left(node_id, 3) = 'up_' AS upstream, coalesce(sum(requests), 0)::text AS requests, coalesce(sum(upstream_failed), 0)::text AS failed,
             coalesce(sum(cost_micro_usd), 0)::text AS cost, coalesce(sum(provider_share_micro_usd), 0)::text AS share
        FROM usage_daily WHERE day BETWEEN ${period.from}::date AND ${period.to}::date AND node_id <> '' GROUP BY 1`.execute(this.db);
    const { rows: vendor } = await sql<{ owed: string }>`
      SELECT coalesce(-sum(amount_micro_usd), 0)::text AS owed FROM ledger_postings
       WHERE left(ledger_account, 7) = 'vendor:' AND occurred_at >= ${period.from}::date AND occurred_at < ${period.to}::date + 1`.execute(this.db);
    const of = (upstream: boolean) => rows.find((r) => r.upstream === upstream) ?? { requests: '0', failed: '0', cost: '0', share: '0' };
    const community = of(false);
    const upstream = of(true);
    const vendorCost = BigInt(vendor[0].owed);
    return {
      community: {
        requests: Number(community.requests),
        upstreamFailed: Number(community.failed),
        spend: money(BigInt(community.cost)),
        providerShare: money(BigInt(community.share)),
        margin: money(BigInt(community.cost) - BigInt(community.share)),
      },
      upstream: {
        requests: Number(upstream.requests),
        upstreamFailed: Number(upstream.failed),
        spend: money(BigInt(upstream.cost)),
        vendorCost: money(vendorCost),
        margin: money(BigInt(upstream.cost) - vendorCost),
      },
    };
  }

  /** Live = approved and seen online by the liveness sweep (the nodes read model). */
  private async nodeCounts() {
    const { rows } = await sql<{ registered: string; approved: string; live: string }>`
      SELECT count(*)::text AS registered, count(*) FILTER (WHERE status = 'approved')::text AS approved,
             count(*) FILTER (WHERE status = 'approved' AND online)::text AS live
        FROM nodes`.execute(this.db);
    return { live: Number(rows[0].live), approved: Number(rows[0].approved), registered: Number(rows[0].registered) };
  }

  /**
   * Requests per minute over the last 1, 5 and 60 minutes: the current (partial) minute and the
   * minutes before it, divided by the window's length. Also the 60 minutes themselves, for a chart.
   */
  private async requestRates(now: Date) {
    const current = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
    const since = new Date(current - (RATE_WINDOWS[RATE_WINDOWS.length - 1] - 1) * MINUTE_MS);
    const rows = await this.db.selectFrom('network_minutes').selectAll().where('minute', '>=', since).where('minute', '<=', new Date(current)).orderBy('minute').execute();
    const windows = Object.fromEntries(
      RATE_WINDOWS.map((n) => {
        const inWindow = rows.filter((r) => r.minute.getTime() > current - n * MINUTE_MS);
        const requests = inWindow.reduce((s, r) => s + Number(r.requests), 0);
        const failed = inWindow.reduce((s, r) => s + Number(r.upstream_failed), 0);
        return [`last${n}m`, { requests, upstreamFailed: failed, perMinute: Math.round((requests / n) * 100) / 100 }];
      }),
    ) as Record<`last${(typeof RATE_WINDOWS)[number]}m`, { requests: number; upstreamFailed: number; perMinute: number }>;
    return {
      ...windows,
      minutes: rows.map((r) => ({ minute: r.minute.toISOString(), requests: Number(r.requests), upstreamFailed: Number(r.upstream_failed), spendMicroUsd: r.cost_micro_usd })),
    };
  }
}
