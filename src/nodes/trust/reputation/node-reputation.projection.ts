import { Selectable, sql, Transaction } from 'kysely';
import { Database, NodeTrustDailyTable } from '../../../platform/database/schema';
import { RecordedEvent } from '../../../platform/event-store/event-store.port';
import { NodeTrustRecordEvent } from '../node-trust-records.events';
import { NODE_TRUST_STREAM_PREFIX } from '../node-trust.events';
import { hasStrings } from '../../../platform/projection-runtime/event-shape';
import { Projector } from '../../../platform/projection-runtime/projector';

/** Judged probes kept per node, newest last: at least the largest PROBE_WINDOW allowed. */
export const RECENT_PROBES_KEPT = 100;
/** Incidents are kept for this long before the newest one: at least the largest DISCREPANCY_WINDOW_HOURS. */
export const INCIDENTS_KEPT_DAYS = 31;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const DIGITS = /^\d{1,19}$/;

const count = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null);
const time = (v: unknown): number | null => {
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(ms) ? null : ms;
};
const text = (v: unknown, max: number): string | null => (typeof v === 'string' || typeof v === 'number' ? String(v).slice(0, max) : null);

interface Day {
  nodeId: string;
  day: string;
  providerId: string;
  passed: bigint;
  failed: bigint;
  unanswered: bigint;
  probeCost: bigint;
  discrepancies: Record<string, number>;
  discrepanciesTotal: bigint;
  countedRequests: bigint;
  reportedTokens: bigint;
  countedTokens: bigint;
}

interface Incident {
  eventId: string;
  nodeId: string;
  providerId: string;
  model: string;
  type: string;
  kind: string;
  reported: string | null;
  bound: string | null;
  at: string;
}

/**
 * A node's honesty record, from the `nodetrust-{nodeId}-{day}` streams (the gateway's
 * discrepancies, the gateway's own counts, probe outcomes): per node and UTC day the counts
 * (node_trust_daily), each failed probe and discrepancy (node_trust_incidents, the 31 days before
 * the newest incident: pruned against the events' own times, so live and rebuilt rows agree),
 * and the latest judged probes in $all order (node_reputation). `node_trust_streams` keeps the
 * last revision applied per stream: an event at or below it is a replay and is skipped.
 */
export const nodeReputationProjection: Projector = {
  name: 'node-reputation',
  tables: ['node_trust_streams', 'node_trust_daily', 'node_trust_incidents', 'node_reputation'],
  async apply(trx, events) {
    const mine = events.filter((e) => e.stream.startsWith(NODE_TRUST_STREAM_PREFIX) && DAY_RE.test(e.stream.slice(-10)));
    if (mine.length === 0) return;
    const streams = [...new Set(mine.map((e) => e.stream))];
    const applied = new Map(
      (await trx.selectFrom('node_trust_streams').select(['stream', 'revision']).where('stream', 'in', streams).execute()).map((r) => [r.stream, BigInt(r.revision)]),
    );
    const days = new Map<string, Day>();
    const probes = new Map<string, { providerId: string; outcomes: [number, number][] }>();
    const incidents: Incident[] = [];
    for (const recorded of mine) {
      const seen = applied.get(recorded.stream);
      if (seen !== undefined && recorded.revision <= seen) continue;
      applied.set(recorded.stream, recorded.revision);
      apply(recorded, days, probes, incidents);
    }
    await trx
      .insertInto('node_trust_streams')
      .values([...applied].map(([stream, revision]) => ({ stream, revision: revision.toString() })))
      .onConflict((oc) => oc.column('stream').doUpdateSet({ revision: sql`excluded.revision` }))
      .execute();
    await saveDays(trx, [...days.values()]);
    await saveProbes(trx, probes);
    await saveIncidents(trx, incidents);
  },
};

function apply(recorded: RecordedEvent, days: Map<string, Day>, probes: Map<string, { providerId: string; outcomes: [number, number][] }>, incidents: Incident[]): void {
  const event = { type: recorded.type, data: recorded.data } as NodeTrustRecordEvent;
  const d = event.data;
  if (!hasStrings(d, 'nodeId', 'providerId', 'model')) return;
  const dayOf = (): Day => {
    const key = `${d.nodeId}\u0000${recorded.stream.slice(-10)}`;
    let day = days.get(key);
    if (!day) {
      day = {
        nodeId: d.nodeId,
        day: recorded.stream.slice(-10),
        providerId: d.providerId,
        passed: 0n,
        failed: 0n,
        unanswered: 0n,
        probeCost: 0n,
        discrepancies: {},
        discrepanciesTotal: 0n,
        countedRequests: 0n,
        reportedTokens: 0n,
        countedTokens: 0n,
      };
      days.set(key, day);
    }
    return day;
  };
  const incident = (kind: string, reported: string | null, bound: string | null, at: number) =>
    incidents.push({
      eventId: recorded.id,
      nodeId: d.nodeId,
      providerId: d.providerId,
      model: d.model.slice(0, 200),
      type: event.type,
      kind: kind.slice(0, 64),
      reported,
      bound,
      at: new Date(at).toISOString(),
    });
  switch (event.type) {
    case 'NodeProbePassed':
    case 'NodeProbeFailed': {
      const at = time(event.data.probedAt);
      if (at === null || !hasStrings(event.data, 'reference')) return;
      const passed = event.type === 'NodeProbePassed';
      const day = dayOf();
      if (passed) day.passed++;
      else day.failed++;
      if (DIGITS.test(String(event.data.costMicroUsd))) day.probeCost += BigInt(event.data.costMicroUsd);
      let ring = probes.get(d.nodeId);
      if (!ring) probes.set(d.nodeId, (ring = { providerId: d.providerId, outcomes: [] }));
      ring.outcomes.push([at, passed ? 1 : 0]);
      if (!passed) incident(event.data.reference, text(event.data.agreedWords, 20), null, at);
      return;
    }
    case 'NodeProbeUnanswered':
      if (time(event.data.probedAt) !== null) dayOf().unanswered++;
      return;
    case 'NodeUsageDiscrepancyRecorded': {
      const at = time(event.data.recordedAt);
      if (at === null || !hasStrings(event.data, 'kind')) return;
      const day = dayOf();
      day.discrepancies[event.data.kind] = (day.discrepancies[event.data.kind] ?? 0) + 1;
      day.discrepanciesTotal++;
      incident(event.data.kind, text(event.data.reported, 40), text(event.data.bound, 40), at);
      return;
    }
    case 'NodeOutputCounted': {
      const requests = count(event.data.requests);
      const reported = count(event.data.reportedTokens);
      const counted = count(event.data.countedTokens);
      if (requests === null || reported === null || counted === null) return;
      const day = dayOf();
      day.countedRequests += BigInt(requests);
      day.reportedTokens += BigInt(reported);
      day.countedTokens += BigInt(counted);
      return;
    }
    default:
      return;
  }
}

async function saveDays(trx: Transaction<Database>, days: Day[]): Promise<void> {
  if (days.length === 0) return;
  const { rows } = await sql<Selectable<NodeTrustDailyTable> & { day_text: string }>`
    SELECT d.*, d.day::text AS day_text FROM node_trust_daily d JOIN unnest(${days.map((x) => x.nodeId)}::text[], ${days.map((x) => x.day)}::date[]) AS k(node_id, day)
      ON d.node_id = k.node_id AND d.day = k.day`.execute(trx);
  const stored = new Map(rows.map((r) => [`${r.node_id}\u0000${r.day_text}`, r]));
  const merged = days.map((x) => {
    const old = stored.get(`${x.nodeId}\u0000${x.day}`);
    if (!old) return x;
    const discrepancies = { ...old.discrepancies };
    for (const [kind, n] of Object.entries(x.discrepancies)) discrepancies[kind] = (discrepancies[kind] ?? 0) + n;
    return {
      ...x,
      passed: x.passed + BigInt(old.probes_passed),
      failed: x.failed + BigInt(old.probes_failed),
      unanswered: x.unanswered + BigInt(old.probes_unanswered),
      probeCost: x.probeCost + BigInt(old.probe_cost_micro_usd),
      discrepancies,
      discrepanciesTotal: x.discrepanciesTotal + BigInt(old.discrepancies_total),
      countedRequests: x.countedRequests + BigInt(old.counted_requests),
      reportedTokens: x.reportedTokens + BigInt(old.reported_tokens),
      countedTokens: x.countedTokens + BigInt(old.counted_tokens),
    };
  });
  const col = <T>(f: (x: Day) => T) => merged.map(f);
  const big = (f: (x: Day) => bigint) => merged.map((x) => f(x).toString());
  await sql`
    INSERT INTO node_trust_daily AS d (node_id, day, provider_id, probes_passed, probes_failed, probes_unanswered, probe_cost_micro_usd, discrepancies, discrepancies_total, counted_requests, reported_tokens, counted_tokens)
    SELECT * FROM unnest(${col((x) => x.nodeId)}::text[], ${col((x) => x.day)}::date[], ${col((x) => x.providerId)}::text[], ${big((x) => x.passed)}::bigint[], ${big((x) => x.failed)}::bigint[],
                         ${big((x) => x.unanswered)}::bigint[], ${big((x) => x.probeCost)}::bigint[], ${col((x) => JSON.stringify(sorted(x.discrepancies)))}::jsonb[], ${big((x) => x.discrepanciesTotal)}::bigint[],
                         ${big((x) => x.countedRequests)}::bigint[], ${big((x) => x.reportedTokens)}::bigint[], ${big((x) => x.countedTokens)}::bigint[])
    ON CONFLICT (node_id, day) DO UPDATE SET
      probes_passed = excluded.probes_passed, probes_failed = excluded.probes_failed, probes_unanswered = excluded.probes_unanswered, probe_cost_micro_usd = excluded.probe_cost_micro_usd,
      discrepancies = excluded.discrepancies, discrepancies_total = excluded.discrepancies_total, counted_requests = excluded.counted_requests,
      reported_tokens = excluded.reported_tokens, counted_tokens = excluded.counted_tokens`.execute(trx);
}

function sorted(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

async function saveProbes(trx: Transaction<Database>, probes: Map<string, { providerId: string; outcomes: [number, number][] }>): Promise<void> {
  if (probes.size === 0) return;
  const stored = new Map(
    (
      await trx
        .selectFrom('node_reputation')
        .selectAll()
        .where('node_id', 'in', [...probes.keys()])
        .execute()
    ).map((r) => [r.node_id, r.recent_probes]),
  );
  const rows = [...probes].map(([nodeId, ring]) => ({
    node_id: nodeId,
    provider_id: ring.providerId,
    recent_probes: JSON.stringify([...(stored.get(nodeId) ?? []), ...ring.outcomes].slice(-RECENT_PROBES_KEPT)),
  }));
  await trx
    .insertInto('node_reputation')
    .values(rows)
    .onConflict((oc) => oc.column('node_id').doUpdateSet({ recent_probes: sql`excluded.recent_probes` }))
    .execute();
}

async function saveIncidents(trx: Transaction<Database>, incidents: Incident[]): Promise<void> {
  if (incidents.length === 0) return;
  for (let i = 0; i < incidents.length; i += 1_000) {
    const part = incidents.slice(i, i + 1_000);
    const col = <K extends keyof Incident>(k: K) => part.map((x) => x[k]);
    await sql`
      INSERT INTO node_trust_incidents (event_id, node_id, provider_id, model, type, kind, reported, bound, at)
      SELECT * FROM unnest(${col('eventId')}::uuid[], ${col('nodeId')}::text[], ${col('providerId')}::text[], ${col('model')}::text[], ${col('type')}::text[],
                           ${col('kind')}::text[], ${col('reported')}::text[], ${col('bound')}::text[], ${col('at')}::timestamptz[])
      ON CONFLICT (event_id) DO NOTHING`.execute(trx);
  }
  // Against the newest incident's own time, not the clock: a rebuild keeps the same rows.
  await sql`DELETE FROM node_trust_incidents WHERE at < (SELECT max(at) FROM node_trust_incidents) - make_interval(days => ${INCIDENTS_KEPT_DAYS})`.execute(trx);
}
