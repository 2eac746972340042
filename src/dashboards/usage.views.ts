import { formatUsd } from '../platform/money';
import { LATENCY_BOUNDS_MS, percentile } from '../metering/usage-summary';
import { UsageAggregate } from './usage.queries';

const MAX_BOUND_MS = LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];

/** A percentile as the upper bound of its histogram bucket (≤ 19 % above the true value); the open last bucket reads as its lower bound. */
export function percentileMs(h: readonly number[], p: number): number | null {
  const v = percentile(h, p);
  return v === null ? null : Math.min(v, MAX_BOUND_MS);
}

/** Share of requests whose node failed them (upstream_failed / requests), to 4 decimals; null without requests. */
export function errorRate(failed: number, requests: number): number | null {
  return requests === 0 ? null : Math.round((failed / requests) * 10_000) / 10_000;
}

export const usd = (micro: bigint) => ({ microUsd: micro.toString(), usd: formatUsd(micro) });

export interface UsageMetricsView {
  requests: number;
  completed: number;
  clientDisconnected: number;
  upstreamFailed: number;
  estimated: number;
  inputTokens: number;
  outputTokens: number;
  images: number;
  spendMicroUsd: string;
  spendUsd: string;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  errorRate: number | null;
}

export function usageMetrics(a: UsageAggregate): UsageMetricsView {
  return {
    requests: a.requests,
    completed: a.completed,
    clientDisconnected: a.clientDisconnected,
    upstreamFailed: a.upstreamFailed,
    estimated: a.estimated,
    inputTokens: a.inputTokens,
    outputTokens: a.outputTokens,
    images: a.images,
    spendMicroUsd: a.costMicroUsd.toString(),
    spendUsd: formatUsd(a.costMicroUsd),
    latencyP50Ms: percentileMs(a.latency, 0.5),
    latencyP95Ms: percentileMs(a.latency, 0.95),
    ttftP50Ms: percentileMs(a.ttft, 0.5),
    ttftP95Ms: percentileMs(a.ttft, 0.95),
    errorRate: errorRate(a.upstreamFailed, a.requests),
  };
}
