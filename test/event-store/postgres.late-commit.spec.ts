import { randomUUID } from 'node:crypto';
import { PoolClient } from 'pg';
import { PostgresEventStore } from '../../src/platform/event-store/postgres/postgres.event-store';
import { RecordedEvent } from '../../src/platform/event-store/event-store.port';
import { createTestDatabase, TestDatabase } from '../support/database';

/**
 * A subscriber must never skip an event that a slower transaction commits after a faster one
 * with a higher sequence number has already been read (the classic sequence-gap bug).
 */
describe('PostgreSQL event store: late commits', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    database = await createTestDatabase('late_commit');
    store = new PostgresEventStore(database.pool, { pollIntervalMs: 10 });
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  async function appendInOpenTransaction(client: PoolClient, stream: string, type: string): Promise<void> {
    await client.query(`SELECT * FROM append_to_stream($1, 'no_stream', NULL, $2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[])`, [stream, [randomUUID()], [type], ['{}'], ['{}']]);
  }

  async function appendManyInOpenTransaction(client: PoolClient, streams: string[], types: string[]): Promise<void> {
    const items = streams.map((stream, i) => ({ stream, id: randomUUID(), type: types[i], data: {}, metadata: {} }));
    await client.query('SELECT * FROM append_to_streams($1::jsonb)', [JSON.stringify(items)]);
  }

  function collect(prefix: string) {
    const seen: RecordedEvent[] = [];
    const sub = store.subscribeAll({ filter: { kind: 'streamPrefix', prefixes: [prefix] } });
    const done = (async () => {
      for await (const e of sub) seen.push(e);
    })();
    /** Waits for `n` events (other suites' transactions on the same server may delay them), then stops. */
    const stopAfter = async (n: number) => {
      const deadline = Date.now() + 10_000;
      while (seen.length < n && Date.now() < deadline) await settle(10);
      await settle(50); // and nothing more arrives
      await sub.close();
      await done;
    };
    return { seen, stopAfter };
  }

  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('delivers an event whose transaction took its sequence number first but committed last', async () => {
    const prefix = `gap1-${randomUUID().slice(0, 6)}-`;
    const sub = collect(prefix);
    const slow = await database.pool.connect();
    try {
      await slow.query('BEGIN');
      await appendInOpenTransaction(slow, `${prefix}slow`, 'Slow'); // lower global_position, still in flight
      await store.append(`${prefix}fast`, [{ id: randomUUID(), type: 'Fast', data: {} }], 'no_stream');
      await settle(150);
      // The fast event is held back: reading it now would move the checkpoint past the gap.
      expect(sub.seen.map((e) => e.type)).toEqual([]);
      await slow.query('COMMIT');
    } finally {
      slow.release();
    }
    await sub.stopAfter(2);
    expect(sub.seen.map((e) => e.type)).toEqual(['Slow', 'Fast']);
  });

  it('delivers a late commit even when its transaction id is newer but its sequence number is older', async () => {
    const prefix = `gap2-${randomUUID().slice(0, 6)}-`;
    const sub = collect(prefix);
    const early = await database.pool.connect(); // takes its transaction id first...
    const late = await database.pool.connect();
    try {
      await early.query('BEGIN');
      await early.query('SELECT pg_current_xact_id()');
      await late.query('BEGIN');
      await appendInOpenTransaction(late, `${prefix}late`, 'Late'); // ...but this one takes the lower sequence number
      // append_to_stream refuses to run after an earlier write, so reproduce the interleaving
      // (possible between two concurrent inserts) with a raw insert.
      await early.query(`INSERT INTO events (stream, revision, event_id, event_type, data, metadata) VALUES ($1, 0, $2, 'Early', '{}', '{}')`, [`${prefix}early`, randomUUID()]);
      await early.query('COMMIT');
      const deadline = Date.now() + 10_000;
      while (sub.seen.length === 0 && Date.now() < deadline) await settle(10);
      // Ordering by sequence number alone would deliver Early, checkpoint past Late's number, and skip Late.
      expect(sub.seen.map((e) => e.type)).toEqual(['Early']);
      await late.query('COMMIT');
    } finally {
      early.release();
      late.release();
    }
    await sub.stopAfter(2);
    expect(sub.seen.map((e) => e.type)).toEqual(['Early', 'Late']);
    const positions = sub.seen.map((e) => e.position);
    expect(positions[1].prepare < positions[0].prepare).toBe(true);
    expect(positions[1].commit > positions[0].commit).toBe(true);
  });

  it("is not held back by another database's open transaction (transaction ids are the whole server's)", async () => {
    const prefix = `otherdb-${randomUUID().slice(0, 6)}-`;
    const other = await createTestDatabase('late_commit_other');
    const elsewhere = await other.pool.connect();
    try {
      await elsewhere.query('BEGIN');
      await elsewhere.query('SELECT pg_current_xact_id()'); // older than the append below, and still running
      await store.append(`${prefix}a`, [{ id: randomUUID(), type: 'Here', data: {} }], 'no_stream');
      const started = Date.now();
      const read = await store.readAll({ filter: { kind: 'streamPrefix', prefixes: [prefix] }, maxCount: 10 });
      const readMs = Date.now() - started;
      console.log(`another database's open transaction: readAll answered in ${readMs} ms with ${read.length} event(s)`);
      // Counting the other database's transaction, readAll waited its 2 s for it and answered nothing.
      expect(read.map((e) => e.type)).toEqual(['Here']);
      expect(readMs).toBeLessThan(1_500);
    } finally {
      await elsewhere.query('ROLLBACK');
      elsewhere.release();
      await other.drop();
    }
  });

  it('refuses an append that is not the first write of its transaction', async () => {
    const client = await database.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_current_xact_id()');
      await expect(appendInOpenTransaction(client, `late-${randomUUID()}`, 'X')).rejects.toThrow(/first write of its transaction/);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('never loses or repeats events under many concurrent writers, read from successive checkpoints', async () => {
    const prefix = `gap3-${randomUUID().slice(0, 6)}-`;
    const sub = collect(prefix);
    const writes = Array.from({ length: 200 }, (_, i) => store.append(`${prefix}${i % 20}`, [{ id: randomUUID(), type: `E${i}`, data: {} }], 'any'));
    await Promise.all(writes);
    await sub.stopAfter(200);
    const types = sub.seen.map((e) => e.type);
    expect(new Set(types).size).toBe(200);
    expect(types).toHaveLength(200);
  });

  describe('group commit (appendToStreams)', () => {
    it('delivers a batch whose transaction took its sequence numbers first but committed last', async () => {
      const prefix = `gap4-${randomUUID().slice(0, 6)}-`;
      const sub = collect(prefix);
      const slow = await database.pool.connect();
      try {
        await slow.query('BEGIN');
        await appendManyInOpenTransaction(slow, [`${prefix}a`, `${prefix}b`, `${prefix}a`], ['Slow1', 'Slow2', 'Slow3']);
        await store.appendToStreams([{ stream: `${prefix}c`, event: { id: randomUUID(), type: 'Fast', data: {} } }]);
        await settle(150);
        expect(sub.seen.map((e) => e.type)).toEqual([]);
        await slow.query('COMMIT');
      } finally {
        slow.release();
      }
      await sub.stopAfter(4);
      expect(sub.seen.map((e) => e.type)).toEqual(['Slow1', 'Slow2', 'Slow3', 'Fast']);
      expect(sub.seen.filter((e) => e.stream === `${prefix}a`).map((e) => e.revision)).toEqual([0n, 1n]);
    });

    it('makes a batch on a stream wait for an open batch on it, then take the next revisions after its commit', async () => {
      const prefix = `wait-${randomUUID().slice(0, 6)}-`;
      const open = await database.pool.connect();
      let second: Promise<unknown> | undefined;
      const calls = jest.spyOn(database.pool, 'query');
      try {
        await open.query('BEGIN');
        await appendManyInOpenTransaction(open, [`${prefix}a`, `${prefix}a`], ['First0', 'First1']);
        let settled = false;
        second = store.appendToStreams([{ stream: `${prefix}a`, event: { id: randomUUID(), type: 'Second', data: {} } }]).finally(() => (settled = true));
        await settle(100);
        expect(settled).toBe(false); // waiting on the stream's lock, not failing
        await open.query('COMMIT');
      } finally {
        open.release();
      }
      const [result] = (await second) as Awaited<ReturnType<typeof store.appendToStreams>>;
      expect(result.ok && result.revision).toBe(2n);
      // In one attempt: after the lock, the function's next statement sees the commit it waited for.
      const attempts = calls.mock.calls.filter(([q]) => (q as unknown as { name?: string }).name === 'tg_append_multi');
      calls.mockRestore();
      expect(attempts).toHaveLength(1);
      const events = await store.readStream(`${prefix}a`);
      expect(events.map((e) => e.type)).toEqual(['First0', 'First1', 'Second']);
      expect(events[2].position.commit > events[1].position.commit).toBe(true);
    });

    it('refuses a batch that is not the first write of its transaction', async () => {
      const client = await database.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_current_xact_id()');
        await expect(appendManyInOpenTransaction(client, [`late-${randomUUID()}`], ['X'])).rejects.toThrow(/first write of its transaction/);
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    });

    it('writes a whole batch or nothing', async () => {
      const prefix = `atomic-${randomUUID().slice(0, 6)}-`;
      const client = await database.pool.connect();
      try {
        await client.query('BEGIN');
        await appendManyInOpenTransaction(client, [`${prefix}a`, `${prefix}b`], ['A', 'B']);
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      expect(await store.readAll({ filter: { kind: 'streamPrefix', prefixes: [prefix] } })).toEqual([]);
    });

    it('never loses or repeats events under concurrent batches and single appends on the same streams', async () => {
      const prefix = `gap5-${randomUUID().slice(0, 6)}-`;
      const sub = collect(prefix);
      const streams = Array.from({ length: 10 }, (_, i) => `${prefix}${i}`);
      const calls = jest.spyOn(database.pool, 'query');
      const batches = Array.from({ length: 20 }, (_, b) =>
        // Half the batches walk the streams backwards: concurrent writers meet in both orders.
        store.appendToStreams(
          Array.from({ length: 50 }, (_, i) => ({
            stream: streams[b % 2 ? 9 - (i % 10) : i % 10],
            event: { id: randomUUID(), type: `B${b}-${i}`, data: {} },
          })),
        ),
      );
      const singles = Array.from({ length: 100 }, (_, i) => store.append(streams[i % 10], [{ id: randomUUID(), type: `S${i}`, data: {} }], 'any'));
      const started = Date.now();
      const results = (await Promise.all(batches)).flat();
      await Promise.all(singles);
      const elapsedMs = Date.now() - started;
      const attempts = calls.mock.calls.filter(([q]) => (q as unknown as { name?: string }).name === 'tg_append_multi').length;
      calls.mockRestore();
      expect(results.every((r) => r.ok)).toBe(true);
      await sub.stopAfter(1_100);
      expect(new Set(sub.seen.map((e) => e.id)).size).toBe(1_100);
      expect(sub.seen).toHaveLength(1_100);
      for (const s of streams) {
        expect(sub.seen.filter((e) => e.stream === s).map((e) => e.revision)).toEqual(Array.from({ length: 110 }, (_, i) => BigInt(i)));
      }
      // Lost races were re-run (not failed), and no deadlock stalled anyone for deadlock_timeout (1 s).
      expect(attempts).toBeGreaterThanOrEqual(20);
      expect(elapsedMs).toBeLessThan(5_000);
    });
  });
});
