import { z } from 'zod';
import { parseDay } from '../platform/http/dates';
import { coded, parsedWith, MicroUsd, Time, UsdText } from '../platform/http/schema/fields';
import { DEVELOPER_GROUPINGS } from './developer-dashboard.service';
import { MAX_PERIOD_DAYS } from './period';
import { PROVIDER_GROUPINGS } from './provider-earnings.service';

/** A UTC day; a bad one is `invalid_period`, the code dashboards have always answered (the one day parser, `dates.ts`, words it). */
const day = (description: string) =>
  z
    .string()
    .max(40)
    .meta({ description, examples: ['2026-03-01'] })
    .transform(parsedWith((text, field) => parseDay(text, field, 'invalid_period')));

/** The period's two ends; their order and length are checked with today's date (`period.ts`). */
const period = {
  from: day('First UTC day, YYYY-MM-DD (default: 29 days before `to`).').optional(),
  to: day(`Last UTC day, included, YYYY-MM-DD (default: today). At most ${MAX_PERIOD_DAYS} days in all.`).optional(),
};

/** groupBy, one of `allowed`; anything else is `invalid_group_by` naming what is accepted. */
const groupBy = <T extends string>(allowed: readonly [T, ...T[]]) =>
  z
    .string()
    .max(20)
    .meta({ enum: [...allowed], description: `default ${allowed[0]}` })
    .transform((text, ctx): T => {
      if ((allowed as readonly string[]).includes(text)) return text as T;
      coded(ctx, 'invalid_group_by', `groupBy must be one of ${allowed.join(', ')}.`);
      return z.NEVER;
    })
    .optional();

/** GET /me/dashboard, GET /admin/network. */
export const PeriodQuery = z.strictObject(period);
/** GET /me/usage. */
export const UsageQuery = z.strictObject({ ...period, groupBy: groupBy(DEVELOPER_GROUPINGS) });
/** GET /provider/earnings. */
export const EarningsQuery = z.strictObject({ ...period, groupBy: groupBy(PROVIDER_GROUPINGS) });

const Day = z.iso.date();
const Count = z.number().int().nonnegative();
const Ms = z.number().nullable().meta({ description: 'Upper bound of the histogram bucket; null without requests.' });
const ErrorRate = z.number().nullable().meta({ description: 'upstream_failed / requests, to 4 decimals; null without requests.' });
const PeriodView = z.object({ from: Day, to: Day, days: z.number().int().min(1).max(MAX_PERIOD_DAYS) });
const Money = z.object({ microUsd: MicroUsd, usd: UsdText });

const UsageMetrics = {
  requests: Count,
  completed: Count,
  clientDisconnected: Count,
  upstreamFailed: Count,
  estimated: Count,
  inputTokens: Count,
  outputTokens: Count,
  images: Count,
  spendMicroUsd: MicroUsd,
  spendUsd: UsdText,
  latencyP50Ms: Ms,
  latencyP95Ms: Ms,
  ttftP50Ms: Ms,
  ttftP95Ms: Ms,
  errorRate: ErrorRate,
};

export const UsageView = z.object({
  period: PeriodView,
  groupBy: z.enum(DEVELOPER_GROUPINGS),
  groups: z.array(
    z
      .object({
        ...UsageMetrics,
        day: Day.optional(),
        model: z.string().optional(),
        keyId: z.string().optional(),
        keyName: z.string().nullable().optional(),
        keyPrefix: z.string().nullable().optional(),
      })
      .meta({ description: 'One per group: `day`, `model`, or `keyId` with the key’s name and prefix.' }),
  ),
  truncated: z.boolean().meta({ description: 'More groups than one answer carries; narrow the period.' }),
  totals: z.object(UsageMetrics),
});

const Amount = z.object({ amountMicroUsd: MicroUsd, amountUsd: UsdText });
const TopUps = Amount.extend({ count: Count });

export const DashboardView = z.object({
  period: PeriodView,
  balance: z.object({ balanceMicroUsd: MicroUsd, heldMicroUsd: MicroUsd, availableMicroUsd: MicroUsd, balanceUsd: UsdText, availableUsd: UsdText }),
  spend: Amount.extend({ requests: Count }),
  topUps: z.object({ purchases: TopUps, grants: TopUps.meta({ description: 'Grants and the free tier.' }) }),
  spendAgainstBalance: z.object({
    averageDailySpendMicroUsd: MicroUsd,
    averageDailySpendUsd: UsdText,
    availableCoversDays: z.number().int().nullable().meta({ description: 'Whole days the available credits last at the period’s average daily spend; null without spend.' }),
  }),
});

const EarningsMetrics = {
  earningsMicroUsd: MicroUsd,
  earningsUsd: UsdText,
  requests: Count,
  completed: Count,
  upstreamFailed: Count,
  inputTokens: Count,
  outputTokens: Count,
  images: Count,
  latencyP50Ms: Ms,
  latencyP95Ms: Ms,
  errorRate: ErrorRate,
};

export const EarningsView = z.object({
  period: PeriodView,
  groupBy: z.enum(PROVIDER_GROUPINGS),
  groups: z.array(z.object({ ...EarningsMetrics, day: Day.optional(), nodeId: z.string().optional(), nodeName: z.string().nullable().optional() })),
  truncated: z.boolean().meta({ description: 'More groups than one answer carries; narrow the period.' }),
  totals: z.object(EarningsMetrics),
});

const Revenue = z.object({ spend: Money, providerShare: Money, platform: Money.meta({ description: 'spend − provider share.' }) });
const Rate = z.object({ requests: Count, upstreamFailed: Count, perMinute: z.number() });

export const NetworkView = z.object({
  period: PeriodView,
  nodes: z.object({ live: Count, approved: Count, registered: Count }),
  requestsPerMinute: z.object({
    last1m: Rate,
    last5m: Rate,
    last60m: Rate,
    minutes: z.array(z.object({ minute: Time, requests: Count, upstreamFailed: Count, spendMicroUsd: MicroUsd })).meta({ description: 'The last 60 minutes, for a chart.' }),
  }),
  revenue: z.object({
    period: Revenue,
    byDay: z.array(Revenue.extend({ day: Day, requests: Count })),
    allTime: Revenue,
  }),
  topModels: z.array(z.object({ model: z.string(), requests: Count, spend: Money, errorRate: ErrorRate, latencyP50Ms: Ms, latencyP95Ms: Ms })),
  nodeErrorRates: z.array(
    z.object({
      nodeId: z.string(),
      name: z.string().nullable(),
      providerId: z.string().nullable(),
      status: z.string().nullable(),
      online: z.boolean().nullable(),
      requests: Count,
      upstreamFailed: Count,
      errorRate: z.number(),
      latencyP95Ms: Ms,
    }),
  ),
  bySource: z.object({
    community: z.object({ requests: Count, upstreamFailed: Count, spend: Money, providerShare: Money, margin: Money }),
    upstream: z.object({ requests: Count, upstreamFailed: Count, spend: Money, vendorCost: Money, margin: Money }),
  }),
});
