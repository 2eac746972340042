import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { KYSELY } from '../platform/database/database.module';
import { Database } from '../platform/database/schema';
import { formatUsd } from '../platform/money';
import { CreditSpending } from '../ledger/spending/credit-spending';
import { Period, periodEnd, periodStart } from './period';
import { UsageQueries } from './usage.queries';
import { usageMetrics, UsageMetricsView } from './usage.views';

export const DEVELOPER_GROUPINGS = ['day', 'model', 'key'] as const;
export type DeveloperGrouping = (typeof DEVELOPER_GROUPINGS)[number];

export interface UsageGroupView extends UsageMetricsView {
  day?: string;
  model?: string;
  keyId?: string;
  keyName?: string | null;
  keyPrefix?: string | null;
}

export interface DeveloperUsageView {
  period: Period;
  groupBy: DeveloperGrouping;
  groups: UsageGroupView[];
  /** More groups than one answer carries; narrow the period. */
  truncated: boolean;
  totals: UsageMetricsView;
}

const amount = (micro: bigint) => ({ amountMicroUsd: micro.toString(), amountUsd: formatUsd(micro) });

/** The developer's own usage and money at a glance: everything scoped to the signed-in account. */
@Injectable()
export class DeveloperDashboardService {
  constructor(
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    private readonly usage: UsageQueries,
    private readonly spending: CreditSpending,
  ) {}

  async usageView(accountId: string, period: Period, groupBy: DeveloperGrouping): Promise<DeveloperUsageView> {
    const scope = { accountId };
    const [{ rows, truncated }, totals] = await Promise.all([this.usage.aggregate(scope, period, groupBy), this.usage.totals(scope, period)]);
    const keys =
      groupBy === 'key' && rows.length > 0
        ? new Map(
            (
              await this.db
                .selectFrom('api_keys')
                .select(['key_id', 'name', 'prefix'])
                .where('account_id', '=', accountId)
                .where(
                  'key_id',
                  'in',
                  rows.map((r) => r.group),
                )
                .execute()
            ).map((k) => [k.key_id, k]),
          )
        : new Map<string, { name: string; prefix: string }>();
    const groups = rows.map((r): UsageGroupView => {
      const label =
        groupBy === 'day'
          ? { day: r.group }
          : groupBy === 'model'
            ? { model: r.group }
            : { keyId: r.group, keyName: keys.get(r.group)?.name ?? null, keyPrefix: keys.get(r.group)?.prefix ?? null };
      return { ...label, ...usageMetrics(r) };
    });
    return { period, groupBy, groups, truncated, totals: usageMetrics(totals) };
  }

  async dashboard(accountId: string, period: Period) {
    const [funds, totals, topUps] = await Promise.all([this.spending.funds(accountId), this.usage.totals({ accountId }, period), this.topUps(accountId, period)]);
    const spend = totals.costMicroUsd;
    const averageDaily = spend / BigInt(period.days);
    return {
      period,
      balance: {
        balanceMicroUsd: funds.balanceMicroUsd.toString(),
        heldMicroUsd: funds.heldMicroUsd.toString(),
        availableMicroUsd: funds.availableMicroUsd.toString(),
        balanceUsd: formatUsd(funds.balanceMicroUsd),
        availableUsd: formatUsd(funds.availableMicroUsd),
      },
      spend: { requests: totals.requests, ...amount(spend) },
      topUps,
      spendAgainstBalance: {
        averageDailySpendMicroUsd: averageDaily.toString(),
        averageDailySpendUsd: formatUsd(averageDaily),
        /** Whole days the available credits last at the period's average daily spend; null without spend. */
        availableCoversDays: averageDaily > 0n ? Number(funds.availableMicroUsd / averageDaily) : null,
      },
    };
  }

  /** Money added in the period, from the ledger: purchases (Razorpay top-ups) and grants (promotions, free tier). */
  private async topUps(accountId: string, period: Period) {
    const { rows } = await sql<{ type: string; n: string; total: string }>`
      SELECT type, count(*)::text AS n, coalesce(sum(amount_micro_usd), 0)::text AS total
        FROM ledger_transactions
       WHERE owner_id = ${accountId} AND type IN ('CreditsPurchased', 'CreditsGranted', 'FreeTierGranted')
         AND occurred_at >= ${periodStart(period)}::timestamptz AND occurred_at < ${periodEnd(period)}::timestamptz
       GROUP BY type`.execute(this.db);
    const sum = (types: string[]) => {
      const picked = rows.filter((r) => types.includes(r.type));
      return { count: picked.reduce((s, r) => s + Number(r.n), 0), ...amount(picked.reduce((s, r) => s + BigInt(r.total), 0n)) };
    };
    return { purchases: sum(['CreditsPurchased']), grants: sum(['CreditsGranted', 'FreeTierGranted']) };
  }
}
