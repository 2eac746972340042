import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { INCIDENTS_KEPT_DAYS, nodeReputationProjection, RECENT_PROBES_KEPT } from '../../../src/nodes/trust/reputation/node-reputation.projection';
import { JsonObject, RecordedEvent } from '../../../src/platform/event-store/event-store.port';
import { applyBatch } from '../../../src/platform/projection-runtime/apply-batch';
import { createTestDatabase, TestDatabase } from '../../support/database';

const NODE = 'AbCdEfGhIjKl';
const PROVIDER = 'prov-1';
let position = 0n;
const revisions = new Map<string, number>();

function recorded(at: string, type: string, data: JsonObject): RecordedEvent {
  const stream = `nodetrust-${NODE}-${at.slice(0, 10)}`;
  const revision = revisions.get(stream) ?? 0;
  revisions.set(stream, revision + 1);
  position++;
  return {
    id: randomUUID(),
    type,
    data,
    metadata: { occurredAt: at },
    stream,
    revision: BigInt(revision),
    position: { commit: position, prepare: position },
    createdAt: new Date(at),
  };
}
const base = { nodeId: NODE, providerId: PROVIDER, model: 'm' };
const probe = (at: string, passed: boolean) =>
  recorded(at, passed ? 'NodeProbePassed' : 'NodeProbeFailed', {
    ...base,
    probeId: `p-${at}`,
    reference: 'majority',
    agreedWords: passed ? 8 : 1,
    latencyMs: 5,
    inputTokens: 10,
    outputTokens: 20,
    costMicroUsd: '50',
    probedAt: at,
    postings: [],
  });
const discrepancy = (at: string, kind: string) =>
  recorded(at, 'NodeUsageDiscrepancyRecorded', { ...base, requestId: `r-${at}`, kind, reported: '999', bound: '10', recordedAt: at });
const counted = (at: string, reported: number, countedTokens: number) =>
  recorded(at, 'NodeOutputCounted', { ...base, windowId: `w-${at}`, requests: 3, reportedTokens: reported, countedTokens, from: at, to: at });

describe('node reputation projection: batches, replays and malformed events give the same rows', () => {
  let database: TestDatabase;
  const day1 = Array.from({ length: 150 }, (_, i) => {
    const at = `2026-11-01T10:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000Z`;
    return i % 10 === 3 ? discrepancy(at, i % 20 === 3 ? 'token_count_drift' : 'output_tokens_over_bound') : i % 10 === 7 ? counted(at, 110, 100) : probe(at, i % 13 !== 0);
  });
  const day40 = [probe('2026-12-10T00:00:00.000Z', false), discrepancy('2026-12-10T00:00:01.000Z', 'malformed_usage')];

  beforeAll(async () => {
    database = await createTestDatabase('node_reputation_projection');
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function build(...batches: RecordedEvent[][]) {
    await sql`TRUNCATE node_trust_streams, node_trust_daily, node_trust_incidents, node_reputation`.execute(database.db);
    for (const batch of batches) await applyBatch(database.db, [nodeReputationProjection], batch);
    const daily = (
      await sql<
        Record<string, unknown>
      >`SELECT node_id, day::text AS day, provider_id, probes_passed, probes_failed, probes_unanswered, probe_cost_micro_usd, discrepancies, discrepancies_total, counted_requests, reported_tokens, counted_tokens FROM node_trust_daily ORDER BY day`.execute(
        database.db,
      )
    ).rows;
    const incidents = (await sql<Record<string, unknown>>`SELECT type, kind, reported, bound, at FROM node_trust_incidents ORDER BY at`.execute(database.db)).rows;
    const reputation = (await sql<Record<string, unknown>>`SELECT * FROM node_reputation`.execute(database.db)).rows;
    return { daily, incidents, reputation };
  }
  const chunks = (xs: RecordedEvent[], size: number) => Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size));

  it('counts per day, incidents, the latest judged probes in order; batch boundaries and replays change nothing', async () => {
    const R = await build(day1);
    const probes = day1.filter((e) => e.type.startsWith('NodeProbe'));
    expect(R.daily).toEqual([
      expect.objectContaining({
        day: '2026-11-01',
        probes_passed: String(probes.filter((e) => e.type === 'NodeProbePassed').length),
        probes_failed: String(probes.filter((e) => e.type === 'NodeProbeFailed').length),
        probe_cost_micro_usd: String(50 * probes.length),
        discrepancies: { output_tokens_over_bound: 7, token_count_drift: 8 },
        discrepancies_total: '15',
        counted_requests: String(3 * 15),
        reported_tokens: String(110 * 15),
        counted_tokens: String(100 * 15),
      }),
    ]);
    expect(R.incidents.length).toBe(15 + probes.filter((e) => e.type === 'NodeProbeFailed').length);
    const ring = R.reputation[0].recent_probes as [number, number][];
    expect(ring.length).toBe(RECENT_PROBES_KEPT);
    expect(ring).toEqual(probes.slice(-RECENT_PROBES_KEPT).map((e) => [Date.parse(e.data.probedAt as string), e.type === 'NodeProbePassed' ? 1 : 0]));
    for (const size of [1, 7, 64]) expect(await build(...chunks(day1, size))).toEqual(R);
    expect(await build(day1, day1, chunks(day1, 33)[2])).toEqual(R);
  });

  it('incidents are kept for the days before the newest one only (against the events’ own times)', async () => {
    const { incidents, daily } = await build(day1, day40);
    expect(INCIDENTS_KEPT_DAYS).toBe(31);
    expect(incidents.map((i) => i.kind)).toEqual(['majority', 'malformed_usage']);
    expect(daily.map((d) => d.day)).toEqual(['2026-11-01', '2026-12-10']); // day counts are kept
    expect(await build([...day1, ...day40])).toEqual(await build(day1, day40));
  });

  it('malformed events are skipped, never thrown on', async () => {
    const bad = [
      recorded('2026-11-02T00:00:00.000Z', 'NodeProbePassed', { nodeId: NODE }),
      recorded('2026-11-02T00:00:01.000Z', 'NodeUsageDiscrepancyRecorded', { ...base, kind: 'x', recordedAt: 'not a time' }),
      recorded('2026-11-02T00:00:02.000Z', 'NodeOutputCounted', { ...base, requests: -1, reportedTokens: 1, countedTokens: 1 }),
    ];
    const { daily, incidents, reputation } = await build(bad);
    expect({ daily, incidents, reputation }).toEqual({ daily: [], incidents: [], reputation: [] });
  });
});
