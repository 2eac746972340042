import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { usageProjection } from '../../src/dashboards/usage.projection';
import { JsonObject, RecordedEvent } from '../../src/platform/event-store/event-store.port';
import { aggregateUsage, netPostings } from '../../src/metering/usage-summary';
import { UsageEvent, UsageStatus } from '../../src/metering/usage.events';
import { applyBatch } from '../../src/platform/projection-runtime/apply-batch';
import { createTestDatabase, TestDatabase } from '../support/database';

const ACCOUNT = '2b0c8a4e-5d1f-4c9a-9f7e-0d6a1b2c3d4e';
const DAY = '2026-03-05';
const STREAM = `usage-${ACCOUNT}-${DAY}`;

let seed = 11;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];

let position = 0n;
function recorded(stream: string, revision: number, type: string, data: JsonObject, at: string): RecordedEvent {
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

function details(n: number, stream = STREAM, day = DAY): RecordedEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const status = pick<UsageStatus>(['completed', 'completed', 'completed', 'client_disconnected', 'upstream_failed']);
    const nodeId = pick(['node-a', 'node-b', null]);
    const cost = Math.floor(random() * 5_000);
    const at = `${day}T${String(Math.floor(i / 10) % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:07.000Z`;
    const data: UsageEvent['data'] = {
      requestId: `r${i}`,
      accountId: ACCOUNT,
      keyId: pick(['k1', 'k2']),
      model: pick(['m1', 'm2']),
      endpoint: pick(['chat.completions', 'embeddings'] as const),
      nodeId,
      providerId: nodeId === null ? null : nodeId === 'node-a' ? 'prov-a' : 'prov-b',
      status,
      inputTokens: Math.floor(random() * 500),
      outputTokens: Math.floor(random() * 300),
      images: 0,
      estimated: random() < 0.1,
      ttftMs: status === 'upstream_failed' ? null : Math.floor(random() * 400),
      latencyMs: Math.floor(random() * 4_000) + random(),
      costMicroUsd: String(cost),
      providerShareMicroUsd: String(Math.floor(cost * 0.7)),
      holdId: `r${i}`,
      recordedAt: at,
      postings: [
        { account: `developer:${ACCOUNT}`, amountMicroUsd: String(cost) },
        { account: 'platform:revenue', amountMicroUsd: String(-cost) },
      ],
    };
    return recorded(stream, i, 'UsageRecorded', data, at);
  });
}

/** What the retention job appends: the aggregate of revisions 0..through, at the next revision. */
function summary(of: RecordedEvent[], stream = STREAM, day = DAY): RecordedEvent {
  const data = of.map((e) => e.data as unknown as UsageEvent['data']);
  const through = of[of.length - 1].revision;
  return recorded(
    stream,
    Number(through) + 1,
    'UsageDaySummarized',
    {
      accountId: ACCOUNT,
      day,
      throughRevision: through.toString(),
      requests: data.length,
      costMicroUsd: data.reduce((s, u) => s + BigInt(u.costMicroUsd), 0n).toString(),
      groups: aggregateUsage(data),
      postings: netPostings(data.flatMap((u) => u.postings)),
      summarizedAt: `${day}T23:59:59.000Z`,
    },
    '2026-06-05T00:00:00.000Z',
  );
}

describe('usage projection: details and day summaries give the same rows', () => {
  let database: TestDatabase;
  const all = details(240);

  beforeAll(async () => {
    database = await createTestDatabase('usage_projection');
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function build(...batches: RecordedEvent[][]) {
    await sql`TRUNCATE usage_daily, usage_days, network_minutes`.execute(database.db);
    for (const batch of batches) await applyBatch(database.db, [usageProjection], batch);
    const rows = (
      await sql<
        Record<string, string | number[] | null>
      >`SELECT account_id, day::text AS day, key_id, model, endpoint, node_id, provider_id, requests, completed, client_disconnected, upstream_failed, estimated, input_tokens, output_tokens, images, cost_micro_usd, provider_share_micro_usd, latency_hist, ttft_hist FROM usage_daily ORDER BY key_id, model, endpoint, node_id`.execute(
        database.db,
      )
    ).rows;
    const days = (await sql`SELECT account_id, day::text AS day, revision FROM usage_days`.execute(database.db)).rows;
    return { rows, days };
  }
  const chunks = (xs: RecordedEvent[], size: number) => Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size));

  it('details of a day → R, checked against the events by hand; batch boundaries do not matter', async () => {
    const { rows, days } = await build(all);
    expect(days).toEqual([{ account_id: ACCOUNT, day: DAY, revision: '239' }]);
    const data = all.map((e) => e.data as unknown as UsageEvent['data']);
    expect(rows.reduce((s, r) => s + Number(r.requests), 0)).toBe(240);
    expect(rows.reduce((s, r) => s + Number(r.upstream_failed), 0)).toBe(data.filter((u) => u.status === 'upstream_failed').length);
    expect(rows.reduce((s, r) => s + BigInt(r.cost_micro_usd as string), 0n)).toBe(data.reduce((s, u) => s + BigInt(u.costMicroUsd), 0n));
    expect(rows.reduce((s, r) => s + Number(r.output_tokens), 0)).toBe(data.reduce((s, u) => s + u.outputTokens, 0));
    const k1m1 = data.filter((u) => u.keyId === 'k1' && u.model === 'm1' && u.endpoint === 'embeddings' && u.nodeId === null);
    const row = rows.find((r) => r.key_id === 'k1' && r.model === 'm1' && r.endpoint === 'embeddings' && r.node_id === '');
    expect(row).toMatchObject({ requests: String(k1m1.length), provider_id: null, input_tokens: String(k1m1.reduce((s, u) => s + u.inputTokens, 0)) });
    expect((row!.latency_hist as number[]).length).toBe(82);
    expect((row!.latency_hist as number[]).reduce((s, v) => s + Number(v), 0)).toBe(k1m1.length);
    for (const size of [1, 17, 100]) expect(await build(...chunks(all, size))).toEqual({ rows, days });
  });

  it('the summary alone, details then summary, partial details then summary, and a replay all give R', async () => {
    const R = await build(all);
    const s = summary(all);
    const expected = { rows: R.rows, days: [{ account_id: ACCOUNT, day: DAY, revision: '240' }] };
    expect(await build([s])).toEqual(expected); // a rebuild after the details were deleted
    expect(await build(all, [s])).toEqual(expected);
    expect(await build([...all, s])).toEqual(expected); // one batch
    expect(await build(all.slice(0, 130), [s])).toEqual(expected); // the runner was behind when the summary landed
    expect(await build(all.slice(0, 77), [...all.slice(77, 150), s])).toEqual(expected);
    expect(await build(all, [s], all, [s])).toEqual(expected); // replayed events are skipped
  });

  it('a detail recorded after the summary adds to the summarised rows', async () => {
    const late = details(241)
      .slice(240)
      .map((e) => ({ ...e, revision: 241n }));
    const withLate = await build([...all, { ...late[0], revision: 240n }]);
    const viaSummary = await build(all, [summary(all)], late);
    expect(viaSummary.rows).toEqual(withLate.rows);
    expect(viaSummary.days).toEqual([{ account_id: ACCOUNT, day: DAY, revision: '241' }]);
  });

  it('malformed events are skipped, never thrown on', async () => {
    const bad = [
      recorded(STREAM, 0, 'UsageRecorded', { keyId: 'k1' }, `${DAY}T00:00:00Z`),
      recorded(STREAM, 1, 'UsageDaySummarized', { groups: [{ keyId: 1 }] }, `${DAY}T00:00:00Z`),
      recorded(`usage-nonsense`, 0, 'UsageRecorded', all[0].data, `${DAY}T00:00:00Z`),
    ];
    expect(await build(bad)).toEqual({ rows: [], days: [{ account_id: ACCOUNT, day: DAY, revision: '1' }] });
  });
});

describe('network minutes: the 24 h before the newest request, whatever the batches', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('network_minutes');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('sums requests, failures and spend per minute and prunes relative to the newest minute', async () => {
    const t0 = Date.parse('2026-03-05T10:00:00Z');
    const at = (minutes: number, seconds = 5) => new Date(t0 + minutes * 60_000 + seconds * 1000).toISOString();
    const minutes = [0, 0, 3, 30, 600, 1_440, 1_441, 1_445, 1_445, 2, 1_500, 1_500];
    let revision = 0;
    const events = minutes.map((m, i) => {
      const day = at(m).slice(0, 10);
      const e = details(1, `usage-${ACCOUNT}-${day}`, day)[0];
      const data = { ...e.data, recordedAt: at(m, i % 50), status: i % 3 === 0 ? 'upstream_failed' : 'completed', costMicroUsd: String(100 + i) };
      return recorded(e.stream, revision++, 'UsageRecorded', data, at(m));
    });
    const newest = t0 + 1_500 * 60_000;
    const expected = new Map<number, { requests: number; failed: number; cost: number }>();
    events.forEach((e, i) => {
      const m = t0 + minutes[i] * 60_000;
      if (m <= newest - 24 * 60 * 60_000) return;
      const row = expected.get(m) ?? { requests: 0, failed: 0, cost: 0 };
      row.requests++;
      if (i % 3 === 0) row.failed++;
      row.cost += 100 + i;
      expected.set(m, row);
    });
    const read = async () =>
      (await sql<{ minute: Date; requests: string; upstream_failed: string; cost_micro_usd: string }>`SELECT * FROM network_minutes ORDER BY minute`.execute(database.db)).rows.map(
        (r) => [r.minute.getTime(), { requests: Number(r.requests), failed: Number(r.upstream_failed), cost: Number(r.cost_micro_usd) }],
      );
    const want = [...expected].sort(([a], [b]) => a - b);
    expect(want.length).toBeGreaterThan(3);

    await applyBatch(database.db, [usageProjection], events);
    expect(await read()).toEqual(want);
    await sql`TRUNCATE usage_daily, usage_days, network_minutes`.execute(database.db);
    for (const e of events) await applyBatch(database.db, [usageProjection], [e]);
    expect(await read()).toEqual(want);
    await applyBatch(database.db, [usageProjection], events); // a replay changes nothing
    expect(await read()).toEqual(want);
  });
});
