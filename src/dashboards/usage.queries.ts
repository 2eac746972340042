import { Inject, Injectable } from '@nestjs/common';
import { Kysely, RawBuilder, sql } from 'kysely';
import { KYSELY } from '../platform/database/database.module';
import { Database } from '../platform/database/schema';
import { emptyHistogram, Histogram, LATENCY_BUCKETS } from '../metering/usage-summary';
import { Period } from './period';

export type UsageGrouping = 'day' | 'model' | 'key' | 'node' | 'total';

/** Whitelisted group expressions (never built from input). */
const GROUP_SQL: Record<UsageGrouping, RawBuilder<string>> = {
  day: sql<string>`day::text`,
  model: sql<string>`model`,
  key: sql<string>`key_id`,
  node: sql<string>`node_id`,
  total: sql<string>`''`,
};

/** Whose usage: a developer's (account), a provider's (the requests their nodes served), one node's. */
export type UsageScope = { accountId: string } | { providerId: string } | { nodeId: string } | { network: true };

export interface UsageAggregate {
  group: string;
  requests: number;
  completed: number;
  clientDisconnected: number;
  upstreamFailed: number;
  estimated: number;
  inputTokens: number;
  outputTokens: number;
  images: number;
  costMicroUsd: bigint;
  providerShareMicroUsd: bigint;
  latency: Histogram;
  ttft: Histogram;
}

/** Most groups one answer carries (days ≤ 366; keys, models and nodes of one scope are far fewer). */
export const MAX_GROUPS = 1_000;

interface SumRow {
  g: string;
  requests: string;
  completed: string;
  client_disconnected: string;
  upstream_failed: string;
  estimated: string;
  input_tokens: string;
  output_tokens: string;
  images: string;
  cost: string;
  share: string;
}

/** Sums of usage_daily over a period, grouped; percentiles come from the summed histograms. */
@Injectable()
export class UsageQueries {
  constructor(@Inject(KYSELY) private readonly db: Kysely<Database>) {}

  async aggregate(
    scope: UsageScope,
    period: Period,
    by: UsageGrouping,
    options: { order?: 'group' | 'cost'; limit?: number; excludeNoNode?: boolean } = {},
  ): Promise<{ rows: UsageAggregate[]; truncated: boolean }> {
    const g = GROUP_SQL[by];
    const limit = Math.min(options.limit ?? MAX_GROUPS, MAX_GROUPS);
    const where = sql`${scopeSql(scope)} AND day BETWEEN ${period.from}::date AND ${period.to}::date${options.excludeNoNode ? sql` AND node_id <> ''` : sql``}`;
    const order = options.order === 'cost' ? sql`sum(cost_micro_usd) DESC, g` : sql`g`;
    const { rows } = await sql<SumRow>`
      SELECT ${g} AS g, sum(requests)::text AS requests, sum(completed)::text AS completed, sum(client_disconnected)::text AS client_disconnected,
             sum(upstream_failed)::text AS upstream_failed, sum(estimated)::text AS estimated, sum(input_tokens)::text AS input_tokens,
             sum(output_tokens)::text AS output_tokens, sum(images)::text AS images, sum(cost_micro_usd)::text AS cost, sum(provider_share_micro_usd)::text AS share
        FROM usage_daily WHERE ${where}
       GROUP BY 1 ORDER BY ${order} LIMIT ${limit + 1}`.execute(this.db);
    const truncated = rows.length > limit;
    const kept = rows.slice(0, limit);
    const result = new Map<string, UsageAggregate>(kept.map((r) => [r.g, toAggregate(r)]));
    if (kept.length > 0) {
      // Histograms add bucket by bucket: one row per group and non-empty bucket.
      const { rows: buckets } = await sql<{ g: string; kind: 'l' | 't'; i: number; n: string }>`
        SELECT ${g} AS g, 'l' AS kind, h.i::int AS i, sum(h.v)::text AS n
          FROM usage_daily CROSS JOIN LATERAL unnest(latency_hist) WITH ORDINALITY AS h(v, i)
         WHERE ${where} AND h.v > 0 AND ${g} = ANY(${kept.map((r) => r.g)}::text[]) GROUP BY 1, 3
        UNION ALL
        SELECT ${g}, 't', h.i::int, sum(h.v)::text
          FROM usage_daily CROSS JOIN LATERAL unnest(ttft_hist) WITH ORDINALITY AS h(v, i)
         WHERE ${where} AND h.v > 0 AND ${g} = ANY(${kept.map((r) => r.g)}::text[]) GROUP BY 1, 3`.execute(this.db);
      for (const b of buckets) {
        const a = result.get(b.g);
        if (a && b.i >= 1 && b.i <= LATENCY_BUCKETS) (b.kind === 'l' ? a.latency : a.ttft)[b.i - 1] += Number(b.n);
      }
    }
    return { rows: [...result.values()], truncated };
  }

  /** The period's totals (zeros when there was no usage). */
  async totals(scope: UsageScope, period: Period): Promise<UsageAggregate> {
    const { rows } = await this.aggregate(scope, period, 'total');
    return rows[0] ?? emptyAggregate('');
  }
}

function scopeSql(scope: UsageScope) {
  if ('accountId' in scope) return sql`account_id = ${scope.accountId}`;
  if ('providerId' in scope) return sql`provider_id = ${scope.providerId}`;
  if ('nodeId' in scope) return sql`node_id = ${scope.nodeId}`;
  return sql`true`;
}

export function emptyAggregate(group: string): UsageAggregate {
  return {
    group,
    requests: 0,
    completed: 0,
    clientDisconnected: 0,
    upstreamFailed: 0,
    estimated: 0,
    inputTokens: 0,
    outputTokens: 0,
    images: 0,
    costMicroUsd: 0n,
    providerShareMicroUsd: 0n,
    latency: emptyHistogram(),
    ttft: emptyHistogram(),
  };
}

function toAggregate(r: SumRow): UsageAggregate {
  return {
    ...emptyAggregate(r.g),
    requests: Number(r.requests),
    completed: Number(r.completed),
    clientDisconnected: Number(r.client_disconnected),
    upstreamFailed: Number(r.upstream_failed),
    estimated: Number(r.estimated),
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    images: Number(r.images),
    costMicroUsd: BigInt(r.cost),
    providerShareMicroUsd: BigInt(r.share),
  };
}
