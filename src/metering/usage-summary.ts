import { DomainEvent } from '../platform/event-sourcing/decider';
import { JsonObject } from '../platform/event-store/event-store.port';
import { Posting } from '../ledger/postings';
import { UsageEndpoint, UsageEvent, UsageStatus } from './usage.events';

/**
 * Latency histograms with log buckets (4 per doubling, ≈ 19 % wide): bucket i holds latencies
 * up to LATENCY_BOUNDS_MS[i]; the last bucket is open-ended. Percentiles read from them are
 * bucket upper bounds, so a p95 is exact to within one bucket. Histograms merge by addition,
 * which is what lets a day summary (and a dashboard over many days) keep percentiles.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = Array.from({ length: 81 }, (_, i) => Math.round(2 ** (i / 4)));
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;

export type Histogram = number[];

export const emptyHistogram = (): Histogram => new Array<number>(LATENCY_BUCKETS).fill(0);

export function latencyBucket(ms: number): number {
  if (!(ms > 1)) return 0;
  const i = Math.ceil(4 * Math.log2(ms) - 1e-9);
  const clamped = Math.min(i, LATENCY_BUCKETS - 1);
  // Rounding the bounds to whole ms can put `ms` one bucket too low or high; settle it exactly.
  if (clamped > 0 && ms <= LATENCY_BOUNDS_MS[clamped - 1]) return clamped - 1;
  if (clamped < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[clamped]) return clamped + 1;
  return clamped;
}

export function addToHistogram(h: Histogram, ms: number, count = 1): void {
  h[latencyBucket(ms)] += count;
}

export function mergeHistogram(into: Histogram, from: readonly number[]): void {
  for (let i = 0; i < LATENCY_BUCKETS; i++) into[i] += from[i] ?? 0;
}

/** The upper bound of the bucket holding the p-th percentile (0 < p ≤ 1); null when empty. */
export function percentile(h: readonly number[], p: number): number | null {
  const total = h.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil(p * total);
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i];
    if (seen >= rank) return i < LATENCY_BOUNDS_MS.length ? LATENCY_BOUNDS_MS[i] : Infinity;
  }
  return null;
}

/** Histograms travel in events sparse: [bucket, count] pairs for the non-empty buckets. */
export type SparseHistogram = [number, number][];

export function toSparse(h: readonly number[]): SparseHistogram {
  const out: SparseHistogram = [];
  h.forEach((c, i) => c > 0 && out.push([i, c]));
  return out;
}

export function fromSparse(s: readonly (readonly number[])[]): Histogram {
  const h = emptyHistogram();
  for (const [i, c] of s) if (Number.isInteger(i) && i >= 0 && i < LATENCY_BUCKETS && Number.isInteger(c) && c > 0) h[i] += c;
  return h;
}

/**
 * One group of a day's usage: everything the dashboards need, aggregated over the requests
 * that share key, model, endpoint and node. Read models of usage keep rows at this grain
 * (per account and day), so they can be built from the details or from a summary alike.
 */
interface UsageGroupFields {
  keyId: string;
  model: string;
  endpoint: UsageEndpoint;
  nodeId: string | null;
  providerId: string | null;
  requests: number;
  completed: number;
  clientDisconnected: number;
  upstreamFailed: number;
  estimated: number;
  inputTokens: number;
  outputTokens: number;
  images: number;
  costMicroUsd: string;
  providerShareMicroUsd: string;
  latency: SparseHistogram;
  ttft: SparseHistogram;
}
export type UsageGroup = UsageGroupFields & JsonObject;

export const STATUS_FIELD: Record<UsageStatus, 'completed' | 'clientDisconnected' | 'upstreamFailed'> = {
  completed: 'completed',
  client_disconnected: 'clientDisconnected',
  upstream_failed: 'upstreamFailed',
};

export const usageGroupKey = (g: { keyId: string; model: string; endpoint: string; nodeId: string | null }) =>
  `${g.keyId}\u0000${g.model}\u0000${g.endpoint}\u0000${g.nodeId ?? ''}`;

/**
 * Stream `usage-{accountId}-{yyyy-mm-dd}`, appended after the day's details when the retention
 * window for request-level detail ends; the details before it are then removed. It replaces
 * them in every read model: its groups are their aggregate, its postings their net effect on
 * each ledger account (so the ledger stays balanced and rebuildable without them).
 */
export type UsageDaySummarized = DomainEvent<
  'UsageDaySummarized',
  {
    accountId: string;
    day: string;
    /** The revision of the last detail event it summarises; the details are revisions 0..this. */
    throughRevision: string;
    requests: number;
    costMicroUsd: string;
    groups: UsageGroup[];
    postings: Posting[];
    summarizedAt: string;
  }
>;

export const USAGE_DAY_SUMMARIZED: UsageDaySummarized['type'] = 'UsageDaySummarized';

interface MutableGroup extends Omit<UsageGroupFields, 'costMicroUsd' | 'providerShareMicroUsd' | 'latency' | 'ttft'> {
  cost: bigint;
  share: bigint;
  latencyH: Histogram;
  ttftH: Histogram;
}

/** Aggregates recorded usage into groups (pure; the summary and any projection share it). */
export function aggregateUsage(events: readonly UsageEvent['data'][]): UsageGroup[] {
  const groups = new Map<string, MutableGroup>();
  for (const u of events) {
    const k = usageGroupKey(u);
    let g = groups.get(k);
    if (!g) {
      g = {
        keyId: u.keyId,
        model: u.model,
        endpoint: u.endpoint,
        nodeId: u.nodeId,
        providerId: u.providerId,
        requests: 0,
        completed: 0,
        clientDisconnected: 0,
        upstreamFailed: 0,
        estimated: 0,
        inputTokens: 0,
        outputTokens: 0,
        images: 0,
        cost: 0n,
        share: 0n,
        latencyH: emptyHistogram(),
        ttftH: emptyHistogram(),
      };
      groups.set(k, g);
    }
    g.requests++;
    g[STATUS_FIELD[u.status] ?? 'completed']++;
    if (u.estimated) g.estimated++;
    g.inputTokens += u.inputTokens;
    g.outputTokens += u.outputTokens;
    g.images += u.images;
    g.cost += BigInt(u.costMicroUsd);
    g.share += BigInt(u.providerShareMicroUsd);
    addToHistogram(g.latencyH, u.latencyMs);
    if (u.ttftMs !== null) addToHistogram(g.ttftH, u.ttftMs);
  }
  return [...groups.values()].map(({ cost, share, latencyH, ttftH, ...rest }) => ({
    ...rest,
    costMicroUsd: cost.toString(),
    providerShareMicroUsd: share.toString(),
    latency: toSparse(latencyH),
    ttft: toSparse(ttftH),
  }));
}

/** The net effect of many transactions on each ledger account, zero lines dropped. */
export function netPostings(postings: Iterable<Posting>): Posting[] {
  const net = new Map<string, bigint>();
  for (const p of postings) net.set(p.account, (net.get(p.account) ?? 0n) + BigInt(p.amountMicroUsd));
  return [...net]
    .filter(([, v]) => v !== 0n)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([account, v]) => ({ account, amountMicroUsd: v.toString() }));
}

/**
 * Adds groups at the same grain (a day summary's groups and details recorded after it): counts,
 * tokens and money add, histograms add bucket by bucket, the first provider seen is kept (as in
 * aggregateUsage).
 */
export function mergeUsageGroups(...lists: readonly (readonly UsageGroup[])[]): UsageGroup[] {
  const merged = new Map<string, MutableGroup>();
  for (const list of lists) {
    for (const g of list) {
      const k = usageGroupKey(g);
      const m = merged.get(k);
      if (!m) {
        const { costMicroUsd, providerShareMicroUsd, latency, ttft, ...rest } = g;
        merged.set(k, { ...rest, cost: BigInt(costMicroUsd), share: BigInt(providerShareMicroUsd), latencyH: fromSparse(latency), ttftH: fromSparse(ttft) });
        continue;
      }
      m.providerId ??= g.providerId;
      for (const f of ['requests', 'completed', 'clientDisconnected', 'upstreamFailed', 'estimated', 'inputTokens', 'outputTokens', 'images'] as const) m[f] += g[f];
      m.cost += BigInt(g.costMicroUsd);
      m.share += BigInt(g.providerShareMicroUsd);
      mergeHistogram(m.latencyH, fromSparse(g.latency));
      mergeHistogram(m.ttftH, fromSparse(g.ttft));
    }
  }
  return [...merged.values()].map(({ cost, share, latencyH, ttftH, ...rest }) => ({
    ...rest,
    costMicroUsd: cost.toString(),
    providerShareMicroUsd: share.toString(),
    latency: toSparse(latencyH),
    ttft: toSparse(ttftH),
  }));
}
