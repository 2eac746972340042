import { JsonObject } from '../platform/event-store/event-store.port';
import { LATENCY_BUCKETS, SparseHistogram, STATUS_FIELD, UsageGroup } from './usage-summary';
import { UsageEndpoint, UsageEvent, UsageStatus } from './usage.events';

/**
 * Checked readers of recorded usage for projections, which must never throw on a recorded event:
 * each returns null for a shape it cannot trust, and the event (or group) is then left out.
 */
const MAX_ID = 200;
const ENDPOINTS = new Set<UsageEndpoint>(['chat.completions', 'completions', 'embeddings', 'images.generations']);
const id = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID;
const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const ms = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const micro = (v: unknown): v is string => typeof v === 'string' && /^-?\d{1,19}$/.test(v);

export function readUsageRecorded(d: JsonObject): UsageEvent['data'] | null {
  if (!id(d.keyId) || !id(d.model) || !ENDPOINTS.has(d.endpoint as UsageEndpoint) || !((d.status as string) in STATUS_FIELD)) return null;
  if (!(d.nodeId === null || id(d.nodeId)) || !(d.providerId === null || id(d.providerId))) return null;
  if (!count(d.inputTokens) || !count(d.outputTokens) || !count(d.images) || !ms(d.latencyMs) || !(d.ttftMs === null || ms(d.ttftMs))) return null;
  if (!micro(d.costMicroUsd) || !micro(d.providerShareMicroUsd)) return null;
  return {
    requestId: String(d.requestId ?? ''),
    accountId: String(d.accountId ?? ''),
    keyId: d.keyId,
    model: d.model,
    endpoint: d.endpoint as UsageEndpoint,
    nodeId: d.nodeId,
    providerId: d.providerId,
    status: d.status as UsageStatus,
    inputTokens: d.inputTokens,
    outputTokens: d.outputTokens,
    images: d.images,
    estimated: d.estimated === true,
    ttftMs: d.ttftMs,
    latencyMs: d.latencyMs,
    costMicroUsd: d.costMicroUsd,
    providerShareMicroUsd: d.providerShareMicroUsd,
    holdId: String(d.holdId ?? ''),
    recordedAt: String(d.recordedAt ?? ''),
    postings: [],
  };
}

function sparse(v: unknown): v is SparseHistogram {
  return Array.isArray(v) && v.length <= LATENCY_BUCKETS && v.every((p) => Array.isArray(p) && p.length === 2 && count(p[0]) && p[0] < LATENCY_BUCKETS && count(p[1]));
}

function readGroup(g: unknown): UsageGroup | null {
  if (typeof g !== 'object' || g === null || Array.isArray(g)) return null;
  const x = g as JsonObject;
  if (!id(x.keyId) || !id(x.model) || !ENDPOINTS.has(x.endpoint as UsageEndpoint)) return null;
  if (!(x.nodeId === null || id(x.nodeId)) || !(x.providerId === null || id(x.providerId))) return null;
  const counts = ['requests', 'completed', 'clientDisconnected', 'upstreamFailed', 'estimated', 'inputTokens', 'outputTokens', 'images'] as const;
  if (!counts.every((f) => count(x[f])) || !micro(x.costMicroUsd) || !micro(x.providerShareMicroUsd) || !sparse(x.latency) || !sparse(x.ttft)) return null;
  return x as UsageGroup;
}

/** The groups of a UsageDaySummarized; null when any group is malformed (the summary is then not trusted at all). */
export function readSummaryGroups(d: JsonObject): UsageGroup[] | null {
  if (!Array.isArray(d.groups) || d.groups.length > 1_000_000) return null;
  const groups = d.groups.map(readGroup);
  return groups.every((g): g is UsageGroup => g !== null) ? groups : null;
}
