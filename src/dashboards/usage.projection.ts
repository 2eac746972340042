import { sql, Transaction } from 'kysely';
import { Database } from '../platform/database/schema';
import { RecordedEvent } from '../platform/event-store/event-store.port';
import { readSummaryGroups, readUsageRecorded } from '../metering/usage-shape';
import { aggregateUsage, fromSparse, mergeUsageGroups, UsageGroup } from '../metering/usage-summary';
import { USAGE_STREAM_PREFIX, UsageEvent } from '../metering/usage.events';
import { Projector } from '../platform/projection-runtime/projector';

/** network_minutes keeps the minutes within this window before the newest minute applied. */
export const NETWORK_WINDOW_MINUTES = 24 * 60;
const MINUTE_MS = 60_000;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** `usage-{accountId}-{yyyy-mm-dd}`: the stream name, not the event body, says whose day it is. */
export function parseUsageStream(stream: string): { accountId: string; day: string } | null {
  if (!stream.startsWith(USAGE_STREAM_PREFIX) || stream.length < USAGE_STREAM_PREFIX.length + 12) return null;
  const day = stream.slice(-10);
  if (stream[stream.length - 11] !== '-' || !DAY_RE.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) return null;
  return { accountId: stream.slice(USAGE_STREAM_PREFIX.length, -11), day };
}

interface DayWork {
  accountId: string;
  day: string;
  /** The revision applied so far (stored or in this batch). */
  revision: bigint;
  /** A summary in this batch replaces the stored rows of the day. */
  replace: boolean;
  base: UsageGroup[];
  details: UsageEvent['data'][];
}

interface MinuteWork {
  requests: number;
  failed: number;
  cost: bigint;
}

/**
 * Usage for the dashboards. `usage_daily` holds a row per account-day at the grain of
 * aggregateUsage(): UsageRecorded adds to it; UsageDaySummarized (appended when request detail
 * expires, after which the details are gone from the store) REPLACES the day's rows with its
 * groups — the same rows the details gave, so live and rebuilt tables agree. `usage_days` keeps
 * the last revision applied per account-day: an event at or below it is a replay and is skipped.
 * The batch is aggregated in memory and written with one unnest upsert.
 *
 * `network_minutes` (requests per minute for the network view) is fed by the same accepted
 * details and keeps the 24 h before the newest minute it holds, so it depends on the events alone.
 * A summary clears the minutes of its day (all accounts', at its place in $all order): a rebuild,
 * without those details, would not have them. Summaries come long after the 24 h window in
 * practice; only one landing within 24 h of the newest minute can shift the pruning horizon.
 */
export const usageProjection: Projector = {
  name: 'usage',
  tables: ['usage_daily', 'usage_days', 'network_minutes'],
  async apply(trx, events) {
    const usage = events.filter((e) => (e.type === 'UsageRecorded' || e.type === 'UsageDaySummarized') && e.stream.startsWith(USAGE_STREAM_PREFIX));
    if (usage.length === 0) return;
    const days = await loadDays(trx, usage);
    const minutes = new Map<number, MinuteWork>();
    const clearedDays = new Set<string>();
    for (const event of usage) {
      const at = parseUsageStream(event.stream);
      const work = at && days.get(dayKey(at.accountId, at.day));
      if (!work || event.revision <= work.revision) continue;
      work.revision = event.revision;
      if (event.type === 'UsageDaySummarized') {
        const groups = readSummaryGroups(event.data);
        if (!groups) continue; // an untrusted summary changes nothing but the revision
        work.replace = true;
        work.base = groups;
        work.details = [];
        // At its place in $all order: the stored minutes of the day and those this batch added so far.
        clearedDays.add(work.day);
        const start = Date.parse(`${work.day}T00:00:00Z`);
        for (const m of minutes.keys()) if (m >= start && m < start + 24 * 60 * MINUTE_MS) minutes.delete(m);
        continue;
      }
      const u = readUsageRecorded(event.data);
      if (!u) continue;
      work.details.push(u);
      const minute = minuteOf(u.recordedAt, event.createdAt);
      const m = minutes.get(minute) ?? { requests: 0, failed: 0, cost: 0n };
      m.requests++;
      if (u.status === 'upstream_failed') m.failed++;
      m.cost += BigInt(u.costMicroUsd);
      minutes.set(minute, m);
    }
    await writeDays(trx, [...days.values()]);
    await writeMinutes(trx, minutes, clearedDays);
  },
};

const dayKey = (accountId: string, day: string) => `${accountId}\u0000${day}`;

function minuteOf(recordedAt: string, fallback: Date): number {
  const ms = Date.parse(recordedAt);
  const t = Number.isNaN(ms) ? fallback.getTime() : ms;
  return Math.floor(t / MINUTE_MS) * MINUTE_MS;
}

async function loadDays(trx: Transaction<Database>, events: readonly RecordedEvent[]): Promise<Map<string, DayWork>> {
  const days = new Map<string, DayWork>();
  for (const e of events) {
    const at = parseUsageStream(e.stream);
    if (at && !days.has(dayKey(at.accountId, at.day))) days.set(dayKey(at.accountId, at.day), { ...at, revision: -1n, replace: false, base: [], details: [] });
  }
  if (days.size === 0) return days;
  const list = [...days.values()];
  const { rows } = await sql<{ account_id: string; day: string; revision: string }>`
    SELECT d.account_id, d.day::text AS day, d.revision
      FROM usage_days d
      JOIN unnest(${list.map((w) => w.accountId)}::text[], ${list.map((w) => w.day)}::date[]) AS b(account_id, day)
        ON d.account_id = b.account_id AND d.day = b.day`.execute(trx);
  for (const r of rows) days.get(dayKey(r.account_id, r.day))!.revision = BigInt(r.revision);
  return days;
}

async function writeDays(trx: Transaction<Database>, work: DayWork[]): Promise<void> {
  const replaced = work.filter((w) => w.replace);
  if (replaced.length > 0) {
    await sql`
      DELETE FROM usage_daily u
       USING unnest(${replaced.map((w) => w.accountId)}::text[], ${replaced.map((w) => w.day)}::date[]) AS b(account_id, day)
       WHERE u.account_id = b.account_id AND u.day = b.day`.execute(trx);
  }
  const c = {
    account: [] as string[],
    day: [] as string[],
    key: [] as string[],
    model: [] as string[],
    endpoint: [] as string[],
    node: [] as string[],
    provider: [] as (string | null)[],
    requests: [] as number[],
    completed: [] as number[],
    disconnected: [] as number[],
    failed: [] as number[],
    estimated: [] as number[],
    input: [] as number[],
    output: [] as number[],
    images: [] as number[],
    cost: [] as string[],
    share: [] as string[],
    latency: [] as string[],
    ttft: [] as string[],
  };
  for (const w of work) {
    for (const g of mergeUsageGroups(w.base, aggregateUsage(w.details))) {
      c.account.push(w.accountId);
      c.day.push(w.day);
      c.key.push(g.keyId);
      c.model.push(g.model);
      c.endpoint.push(g.endpoint);
      c.node.push(g.nodeId ?? '');
      c.provider.push(g.providerId);
      c.requests.push(g.requests);
      c.completed.push(g.completed);
      c.disconnected.push(g.clientDisconnected);
      c.failed.push(g.upstreamFailed);
      c.estimated.push(g.estimated);
      c.input.push(g.inputTokens);
      c.output.push(g.outputTokens);
      c.images.push(g.images);
      c.cost.push(g.costMicroUsd);
      c.share.push(g.providerShareMicroUsd);
      // Arrays of arrays do not survive unnest (it flattens them): each histogram travels as an array literal.
      c.latency.push(`{${fromSparse(g.latency).join(',')}}`);
      c.ttft.push(`{${fromSparse(g.ttft).join(',')}}`);
    }
  }
  if (c.account.length > 0) {
    await sql`
      INSERT INTO usage_daily AS u (account_id, day, key_id, model, endpoint, node_id, provider_id, requests, completed, client_disconnected, upstream_failed,
                                    estimated, input_tokens, output_tokens, images, cost_micro_usd, provider_share_micro_usd, latency_hist, ttft_hist)
      SELECT a, d, k, m, e, n, p, r, c, cd, uf, est, it, ot, im, cost, share, lh::int[], th::int[]
        FROM unnest(${c.account}::text[], ${c.day}::date[], ${c.key}::text[], ${c.model}::text[], ${c.endpoint}::text[], ${c.node}::text[], ${c.provider}::text[],
                    ${c.requests}::bigint[], ${c.completed}::bigint[], ${c.disconnected}::bigint[], ${c.failed}::bigint[], ${c.estimated}::bigint[],
                    ${c.input}::bigint[], ${c.output}::bigint[], ${c.images}::bigint[], ${c.cost}::bigint[], ${c.share}::bigint[], ${c.latency}::text[], ${c.ttft}::text[])
             AS t(a, d, k, m, e, n, p, r, c, cd, uf, est, it, ot, im, cost, share, lh, th)
      ON CONFLICT (account_id, day, key_id, model, endpoint, node_id) DO UPDATE SET
        provider_id = coalesce(u.provider_id, excluded.provider_id),
        requests = u.requests + excluded.requests,
        completed = u.completed + excluded.completed,
        client_disconnected = u.client_disconnected + excluded.client_disconnected,
        upstream_failed = u.upstream_failed + excluded.upstream_failed,
        estimated = u.estimated + excluded.estimated,
        input_tokens = u.input_tokens + excluded.input_tokens,
        output_tokens = u.output_tokens + excluded.output_tokens,
        images = u.images + excluded.images,
        cost_micro_usd = u.cost_micro_usd + excluded.cost_micro_usd,
        provider_share_micro_usd = u.provider_share_micro_usd + excluded.provider_share_micro_usd,
        latency_hist = ARRAY(SELECT x + y FROM unnest(u.latency_hist, excluded.latency_hist) WITH ORDINALITY AS h(x, y, i) ORDER BY i),
        ttft_hist = ARRAY(SELECT x + y FROM unnest(u.ttft_hist, excluded.ttft_hist) WITH ORDINALITY AS h(x, y, i) ORDER BY i)`.execute(trx);
  }
  await sql`
    INSERT INTO usage_days (account_id, day, revision)
    SELECT * FROM unnest(${work.map((w) => w.accountId)}::text[], ${work.map((w) => w.day)}::date[], ${work.map((w) => w.revision.toString())}::bigint[])
    ON CONFLICT (account_id, day) DO UPDATE SET revision = excluded.revision`.execute(trx);
}

async function writeMinutes(trx: Transaction<Database>, minutes: Map<number, MinuteWork>, clearedDays: Set<string>): Promise<void> {
  for (const day of clearedDays) {
    await sql`DELETE FROM network_minutes WHERE minute >= ${day}::date::timestamptz AND minute < (${day}::date + 1)::timestamptz`.execute(trx);
  }
  if (minutes.size === 0) return;
  const { rows } = await sql<{ newest: Date | null }>`SELECT max(minute) AS newest FROM network_minutes`.execute(trx);
  const newest = Math.max(rows[0].newest?.getTime() ?? -Infinity, ...minutes.keys());
  // Keep the minutes after the horizon; one applied earlier than it would be pruned at once anyway.
  const horizon = newest - NETWORK_WINDOW_MINUTES * MINUTE_MS;
  const kept = [...minutes].filter(([m]) => m > horizon);
  await sql`
    INSERT INTO network_minutes AS n (minute, requests, upstream_failed, cost_micro_usd)
    SELECT * FROM unnest(${kept.map(([m]) => new Date(m).toISOString())}::timestamptz[], ${kept.map(([, w]) => w.requests)}::bigint[],
                         ${kept.map(([, w]) => w.failed)}::bigint[], ${kept.map(([, w]) => w.cost.toString())}::bigint[])
    ON CONFLICT (minute) DO UPDATE SET
      requests = n.requests + excluded.requests,
      upstream_failed = n.upstream_failed + excluded.upstream_failed,
      cost_micro_usd = n.cost_micro_usd + excluded.cost_micro_usd`.execute(trx);
  await sql`DELETE FROM network_minutes WHERE minute <= ${new Date(horizon).toISOString()}::timestamptz`.execute(trx);
}
