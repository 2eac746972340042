import { Pool } from 'pg';
import { PostgresEventStore } from '../../src/platform/event-store/postgres/postgres.event-store';
import { createTestDatabase, TestDatabase } from '../support/database';

const EVENTS = 200_000;
const LONG_STREAM = 300_000;

/**
 * A subscription reads $all after its position every poll, and support's replay pages a stream
 * backwards, with prepared statements. Once PostgreSQL plans those generically (it may, after five
 * runs; forced here), a position that is only a filter makes every read walk the index from one
 * end: the read's cost grows with the history instead of the page.
 */
describe('PostgreSQL event store: positions are index conditions under generic plans', () => {
  let database: TestDatabase;
  let pool: Pool;
  let store: PostgresEventStore;

  beforeAll(async () => {
    database = await createTestDatabase('read_plan');
    await database.pool.query(
      `INSERT INTO events (stream, revision, event_id, event_type, data, metadata)
       SELECT 'acct-' || (i % 1000), i / 1000, gen_random_uuid(), 'UsageRecorded', '{}', '{}' FROM generate_series(0, $1::int - 1) AS i`,
      [EVENTS],
    );
    // One long stream too (an account's history), paged backwards by support's replay.
    await database.pool.query(
      `INSERT INTO events (stream, revision, event_id, event_type, data, metadata)
       SELECT 'long-stream', i, gen_random_uuid(), 'UsageRecorded', '{}', '{}' FROM generate_series(0, $1::int - 1) AS i`,
      [LONG_STREAM],
    );
    await database.pool.query('ANALYZE events');
    pool = new Pool({ connectionString: database.url, max: 2, options: '-c plan_cache_mode=force_generic_plan' });
    store = new PostgresEventStore(pool, { pollIntervalMs: 10 });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await pool?.end();
    await database?.drop();
  });

  it('reads a page after a position through the index, under a generic plan too', async () => {
    const { rows } = await database.pool.query<{ t: string; g: string }>(
      'SELECT transaction_id::text AS t, global_position::text AS g FROM events ORDER BY transaction_id DESC, global_position DESC LIMIT 1 OFFSET 5',
    );
    const after = { commit: BigInt(rows[0].t), prepare: BigInt(rows[0].g) };
    const timings: number[] = [];
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      const page = await store.readAll({ after, maxCount: 100 });
      timings.push(performance.now() - started);
      expect(page).toHaveLength(5);
    }
    const fromStart = await store.readAll({ maxCount: 100 });
    const median = [...timings].sort((a, b) => a - b)[3];
    console.log(
      `${EVENTS.toLocaleString('en')} events, generic plans: a page after a position read in ${timings.map((t) => t.toFixed(1)).join(', ')} ms (median ${median.toFixed(1)})`,
    );
    expect(fromStart).toHaveLength(100);
    // Walking the index from the first event took 62 ms here (0.3 ms through it): a wide margin either way.
    expect(median).toBeLessThan(20);
  });

  it('reads a stream backwards from an early revision through the index, under a generic plan too', async () => {
    const timings: number[] = [];
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      const page = await store.readStream('long-stream', { direction: 'backwards', fromRevision: 10n, maxCount: 5 });
      timings.push(performance.now() - started);
      expect(page.map((e) => e.revision)).toEqual([10n, 9n, 8n, 7n, 6n]);
    }
    const [last] = await store.readStream('long-stream', { direction: 'backwards', maxCount: 1 });
    const median = [...timings].sort((a, b) => a - b)[3];
    console.log(
      `a ${LONG_STREAM.toLocaleString('en')}-event stream, generic plans: 5 events backwards from revision 10 in ${timings.map((t) => t.toFixed(1)).join(', ')} ms (median ${median.toFixed(1)})`,
    );
    expect(last.revision).toBe(BigInt(LONG_STREAM - 1));
    // Walking the stream from its end took 62.6 ms here (0.6 ms through the index).
    expect(median).toBeLessThan(10);
  });
});
