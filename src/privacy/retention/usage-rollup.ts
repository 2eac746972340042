import { derivedEventId } from '../../platform/event-sourcing/derived-event-id';
import { RecordedEvent } from '../../platform/event-store/event-store.port';
import {
  fromSparse,
  mergeHistogram,
  netPostings,
  toSparse,
  USAGE_DAY_SUMMARIZED,
  UsageDaySummarized,
  UsageGroup,
  aggregateUsage,
  usageGroupKey,
} from '../../metering/usage-summary';
import { UsageEvent } from '../../metering/usage.events';
import { Posting, readPostings, MAX_SUMMARY_POSTINGS } from '../../ledger/postings';

export const RETENTION_ACTOR = 'system:retention';

/** Adds group `b` into a copy of `a` (same key): counts and money add, histograms merge. */
function addGroups(a: UsageGroup, b: UsageGroup): UsageGroup {
  const latency = fromSparse(a.latency);
  mergeHistogram(latency, fromSparse(b.latency));
  const ttft = fromSparse(a.ttft);
  mergeHistogram(ttft, fromSparse(b.ttft));
  return {
    ...a,
    providerId: a.providerId ?? b.providerId,
    requests: a.requests + b.requests,
    completed: a.completed + b.completed,
    clientDisconnected: a.clientDisconnected + b.clientDisconnected,
    upstreamFailed: a.upstreamFailed + b.upstreamFailed,
    estimated: a.estimated + b.estimated,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    images: a.images + b.images,
    costMicroUsd: (BigInt(a.costMicroUsd) + BigInt(b.costMicroUsd)).toString(),
    providerShareMicroUsd: (BigInt(a.providerShareMicroUsd) + BigInt(b.providerShareMicroUsd)).toString(),
    latency: toSparse(latency),
    ttft: toSparse(ttft),
  };
}

export function mergeGroups(...lists: readonly UsageGroup[][]): UsageGroup[] {
  const out = new Map<string, UsageGroup>();
  for (const list of lists)
    for (const g of list) {
      const k = usageGroupKey(g);
      const seen = out.get(k);
      out.set(k, seen ? addGroups(seen, g) : g);
    }
  return [...out.values()];
}

/** A UUID from the stream and the revision summarised through: a repeated roll-up appends nothing new. */
export function summaryEventId(stream: string, throughRevision: bigint): string {
  return derivedEventId(`usage-day-summarized:${stream}:${throughRevision}`);
}

/**
 * The summary of a usage day stream as read (pure): the latest summary already in it, if any,
 * plus every charge recorded after that summary (late charges). Null when there is nothing new.
 */
export function rollUpDay(
  stream: string,
  events: readonly RecordedEvent[],
  summarizedAt: string,
): { event: UsageDaySummarized; occurredAt: string; expectedRevision: bigint } | null {
  if (events.length === 0) return null;
  const last = events[events.length - 1];
  if (last.type === USAGE_DAY_SUMMARIZED) return null;
  let baseIndex = -1;
  for (let i = events.length - 1; i >= 0; i--)
    if (events[i].type === USAGE_DAY_SUMMARIZED) {
      baseIndex = i;
      break;
    }
  const base = baseIndex >= 0 ? (events[baseIndex].data as UsageDaySummarized['data']) : null;
  const details = events
    .slice(baseIndex + 1)
    .filter((e) => e.type === 'UsageRecorded')
    .map((e) => e.data as UsageEvent['data']);
  if (details.length === 0) return null;
  const postings: Posting[] = [...(base ? (readPostings(base, MAX_SUMMARY_POSTINGS) ?? []) : []), ...details.flatMap((d) => readPostings(d) ?? [])];
  const accountId = base?.accountId ?? details[0].accountId;
  const day = stream.slice(-10);
  const cost = details.reduce((s, d) => s + BigInt(d.costMicroUsd), base ? BigInt(base.costMicroUsd) : 0n);
  const lastDetail = details[details.length - 1];
  return {
    event: {
      type: USAGE_DAY_SUMMARIZED,
      data: {
        accountId,
        day,
        throughRevision: last.revision.toString(),
        requests: (base?.requests ?? 0) + details.length,
        costMicroUsd: cost.toString(),
        groups: mergeGroups(base?.groups ?? [], aggregateUsage(details)),
        postings: netPostings(postings),
        summarizedAt,
      },
    },
    // The ledger dates the summary with the day's last charge, so statements and a trial balance
    // at any past instant after the day read the same as before.
    occurredAt: typeof last.metadata.occurredAt === 'string' ? last.metadata.occurredAt : lastDetail.recordedAt,
    expectedRevision: last.revision,
  };
}
