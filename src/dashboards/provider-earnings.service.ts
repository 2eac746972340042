import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { KYSELY } from '../platform/database/database.module';
import { Database } from '../platform/database/schema';
import { formatUsd } from '../platform/money';
import { Period } from './period';
import { UsageAggregate, UsageQueries } from './usage.queries';
import { errorRate, percentileMs } from './usage.views';

export const PROVIDER_GROUPINGS = ['day', 'node'] as const;
export type ProviderGrouping = (typeof PROVIDER_GROUPINGS)[number];

function earningsMetrics(a: UsageAggregate) {
  return {
    earningsMicroUsd: a.providerShareMicroUsd.toString(),
    earningsUsd: formatUsd(a.providerShareMicroUsd),
    requests: a.requests,
    completed: a.completed,
    upstreamFailed: a.upstreamFailed,
    inputTokens: a.inputTokens,
    outputTokens: a.outputTokens,
    images: a.images,
    latencyP50Ms: percentileMs(a.latency, 0.5),
    latencyP95Ms: percentileMs(a.latency, 0.95),
    errorRate: errorRate(a.upstreamFailed, a.requests),
  };
}

/**
 * A provider's earnings: their share of what the requests their nodes served were charged.
 * Scoped by the provider recorded on each request, so another provider's traffic never shows.
 */
@Injectable()
export class ProviderEarningsService {
  constructor(
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    private readonly usage: UsageQueries,
  ) {}

  async earnings(providerId: string, period: Period, groupBy: ProviderGrouping) {
    const scope = { providerId };
    const [{ rows, truncated }, totals] = await Promise.all([this.usage.aggregate(scope, period, groupBy), this.usage.totals(scope, period)]);
    const nodes =
      groupBy === 'node' && rows.length > 0
        ? new Map(
            (
              await this.db
                .selectFrom('nodes')
                .select(['node_id', 'name'])
                .where('provider_id', '=', providerId)
                .where(
                  'node_id',
                  'in',
                  rows.map((r) => r.group),
                )
                .execute()
            ).map((n) => [n.node_id, n.name]),
          )
        : new Map<string, string>();
    const groups = rows.map((r) => ({ ...(groupBy === 'day' ? { day: r.group } : { nodeId: r.group, nodeName: nodes.get(r.group) ?? null }), ...earningsMetrics(r) }));
    return { period, groupBy, groups, truncated, totals: earningsMetrics(totals) };
  }
}
