import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { Pool } from 'pg';
import { projectors } from '../../src/read-models';
import { createPool } from '../../src/platform/database/database';
import { PostgresEventStore } from '../../src/platform/event-store/postgres/postgres.event-store';
import { NewEvent } from '../../src/platform/event-store/event-store.port';
import { createLogger } from '../../src/platform/observability/logger';
import { READ_MODELS_CHECKPOINT, readCheckpoint } from '../../src/platform/projection-runtime/checkpoint';
import { ProjectionRunner, ProjectionRunnerOptions } from '../../src/platform/projection-runtime/projection-runner';
import { resetReadModels } from '../../src/platform/projection-runtime/replay';
import { verifyProjections } from '../../src/platform/projection-runtime/verify';
import { Projector } from '../../src/platform/projection-runtime/projector';
import { createTestDatabase, TestDatabase } from '../support/database';
import { waitFor } from '../support/eventually';
import { TcpProxy } from '../support/tcp-proxy';

const logger = createLogger('silent');
const ev = (type: string): NewEvent => ({ id: randomUUID(), type, data: {} });

describe('projection runner', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  const runners: ProjectionRunner[] = [];

  const newRunner = (options: Partial<ProjectionRunnerOptions> = {}, eventStore = store, using: readonly Projector[] = projectors) => {
    const runner = new ProjectionRunner(database.db, database.pool, eventStore, using, logger, {
      batchMax: 50,
      retryInitialMs: 20,
      retryMaxMs: 200,
      leaderRetryMs: 50,
      checkpointCheckMs: 50,
      ...options,
    });
    runners.push(runner);
    return runner;
  };

  const streamRow = (stream: string) => database.db.selectFrom('stream_index').selectAll().where('stream', '=', stream).executeTakeFirst();

  beforeEach(async () => {
    database = await createTestDatabase('runner');
    store = new PostgresEventStore(database.pool, { pollIntervalMs: 20 });
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
    await store.close();
    await database.drop();
  });

  it('applies events and the checkpoint together, and resumes after a restart without re-applying', async () => {
    await store.append('account-1', [ev('A'), ev('B'), ev('C')], 'no_stream');
    const first = newRunner();
    first.start();
    await first.waitUntilCaughtUp();
    await first.stop();
    expect(await streamRow('account-1')).toMatchObject({ category: 'account', revision: '2', event_count: '3', last_event_type: 'C' });

    await store.append('account-1', [ev('D')], 2n);
    const second = newRunner();
    second.start();
    await second.waitUntilCaughtUp();
    expect(await streamRow('account-1')).toMatchObject({ revision: '3', event_count: '4', last_event_type: 'D' });
    expect(second.status()).toMatchObject({ state: 'running', eventsApplied: 1 });
  });

  it('has an exactly-once effect when it crashes between applying and checkpointing', async () => {
    // Deliberately not idempotent, so only the shared transaction can keep its count right.
    await sql`CREATE TABLE applications (n bigint NOT NULL)`.execute(database.db);
    await sql`INSERT INTO applications VALUES (0)`.execute(database.db);
    const counting: Projector = {
      name: 'counting',
      tables: [],
      apply: async (trx, events) => void (await sql`UPDATE applications SET n = n + ${events.length}`.execute(trx)),
    };
    await store.append(
      'credits-7',
      Array.from({ length: 120 }, (_, i) => ev(`E${i}`)),
      'no_stream',
    );
    let crashes = 0;
    const crashing = newRunner(
      {
        beforeCommit: async () => {
          if (crashes < 3) {
            crashes++;
            throw new Error('simulated crash after the rows were written, before the commit');
          }
        },
      },
      store,
      [...projectors, counting],
    );
    crashing.start();
    await crashing.waitUntilCaughtUp();
    await crashing.stop();
    expect(crashes).toBe(3);
    expect(crashing.status().retries).toBe(3);
    expect(await streamRow('credits-7')).toMatchObject({ revision: '119', event_count: '120' });

    // A new process resumes from the checkpoint: nothing the crashed batches touched is applied twice.
    await store.append(
      'credits-7',
      Array.from({ length: 30 }, (_, i) => ev(`F${i}`)),
      119n,
    );
    const successor = newRunner({}, store, [...projectors, counting]);
    successor.start();
    await successor.waitUntilCaughtUp();
    expect((await sql<{ n: string }>`SELECT n FROM applications`.execute(database.db)).rows[0].n).toBe('150');
  });

  it('is idempotent: replaying events already applied changes no row', async () => {
    await store.append('node-1', [ev('Registered'), ev('Approved')], 'no_stream');
    const runner = newRunner();
    runner.start();
    await runner.waitUntilCaughtUp();
    await runner.stop();
    // Force a replay of already-applied events by moving the checkpoint back without truncating.
    await database.db.updateTable('projection_checkpoints').set({ commit_position: null, prepare_position: null }).execute();
    const again = newRunner();
    again.start();
    await again.waitUntilCaughtUp();
    expect(await streamRow('node-1')).toMatchObject({ revision: '1', event_count: '2' });
  });

  it('retries with backoff while the event store is unreachable, then catches up', async () => {
    const proxy = new TcpProxy('127.0.0.1', 5432);
    await proxy.start();
    const url = new URL(database.url);
    url.port = String(proxy.port);
    const proxiedPool: Pool = createPool(url.toString(), 2);
    const proxiedStore = new PostgresEventStore(proxiedPool, { pollIntervalMs: 20 });
    try {
      const runner = newRunner({}, proxiedStore);
      runner.start();
      await store.append('payment-1', [ev('Created')], 'no_stream');
      await runner.waitUntilCaughtUp();

      await proxy.cut();
      await store.append('payment-1', [ev('Captured')], 0n);
      await waitFor(() => runner.status().retries >= 2, 5_000, 'two retries', 10);
      expect(runner.status().state).toBe('retrying');
      expect(runner.status().lastError).toBeTruthy();
      expect((await runner.lag()).behind).toBe(true);

      await proxy.start();
      await runner.waitUntilCaughtUp();
      expect(await streamRow('payment-1')).toMatchObject({ revision: '1', event_count: '2' });
      expect((await runner.lag()).behind).toBe(false);
    } finally {
      await runners.splice(0).map((r) => r.stop())[0];
      await proxy.cut();
      await proxiedPool.end();
    }
  });

  it('rebuilds from a reset while running, and verify finds no difference — until a live row is tampered with', async () => {
    for (let i = 0; i < 30; i++) await store.append(`usage-u${i % 4}-2026-11-22`, [ev('UsageRecorded')], 'any');
    const runner = newRunner();
    runner.start();
    await runner.waitUntilCaughtUp();
    const before = await database.db.selectFrom('stream_index').selectAll().orderBy('stream').execute();

    await resetReadModels(database.db, projectors, READ_MODELS_CHECKPOINT);
    await runner.waitUntilCaughtUp();
    expect(await database.db.selectFrom('stream_index').selectAll().orderBy('stream').execute()).toEqual(before);

    const clean = await verifyProjections(database.db, store, projectors, { checkpointName: READ_MODELS_CHECKPOINT, batchSize: 7 });
    expect(clean).toMatchObject({ ok: true, eventsReplayed: 30 });
    expect(clean.tables).toContainEqual(expect.objectContaining({ table: 'stream_index', liveRows: 4, rebuiltRows: 4, onlyLive: 0, onlyRebuilt: 0 }));

    await runner.stop();
    await database.db.updateTable('stream_index').set({ event_count: '999' }).where('stream', '=', 'usage-u0-2026-11-22').execute();
    const dirty = await verifyProjections(database.db, store, projectors, { checkpointName: READ_MODELS_CHECKPOINT, batchSize: 100 });
    expect(dirty.ok).toBe(false);
    const streamIndex = dirty.tables.find((t) => t.table === 'stream_index')!;
    expect(streamIndex).toMatchObject({ onlyLive: 1, onlyRebuilt: 1 });
    expect(streamIndex.samples).toEqual(expect.arrayContaining([expect.objectContaining({ side: 'live', row: expect.objectContaining({ event_count: 999 }) })]));
    const schemas = await database.pool.query(`SELECT 1 FROM pg_namespace WHERE nspname LIKE 'verify_%'`);
    expect(schemas.rowCount).toBe(0);
  });

  it('runs in one instance at a time: a second runner stands by', async () => {
    const leader = newRunner();
    const standby = newRunner();
    leader.start();
    await store.append('audit-2026-11-22', [ev('RoleGranted')], 'no_stream');
    await leader.waitUntilCaughtUp();
    standby.start();
    await waitFor(() => standby.status().state === 'standby', 5_000, 'the standby state', 10);
    await leader.stop();
    await waitFor(() => standby.status().state === 'running', 5_000, 'the running state', 10);
    await store.append('audit-2026-11-22', [ev('RoleRevoked')], 0n);
    await standby.waitUntilCaughtUp();
    expect(await streamRow('audit-2026-11-22')).toMatchObject({ event_count: '2' });
    expect(await readCheckpoint(database.db, READ_MODELS_CHECKPOINT)).not.toBeNull();
  });
});
