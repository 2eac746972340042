import { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../src/platform/errors/domain-error';
import { EventStoreUnavailableError } from '../../src/platform/event-store/event-store.errors';
import { comparePositions, EventStore, MultiAppendItem, MultiAppendResult, RecordedEvent } from '../../src/platform/event-store/event-store.port';
import { PostgresEventStore } from '../../src/platform/event-store/postgres/postgres.event-store';
import { EventRow, toRecordedEvent } from '../../src/platform/event-store/postgres/postgres.rows';
import { RecordUsage } from '../../src/metering/usage-charge.decide';
import { UsageBatcher, UsageBatchReport } from '../../src/metering/usage-batcher';
import { usageEventId, usageStream } from '../../src/metering/usage.events';
import { discrepancyItems } from '../../src/nodes/trust/usage-discrepancy-events';
import { startTestApp } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';

const ctx = () => ({ actorId: 'metering-test', occurredAt: new Date().toISOString() });

/** A store whose appendToStreams waits for the test to let it through (or fail). */
class GatedStore {
  calls: MultiAppendItem[][] = [];
  private gates: { open: () => void; fail: (err: Error) => void }[] = [];

  constructor(private readonly inner: EventStore) {}

  get store(): EventStore {
    return new Proxy(this.inner, {
      get: (target, key) =>
        key === 'appendToStreams' ? (items: readonly MultiAppendItem[]) => this.append(items) : (target as unknown as Record<string | symbol, unknown>)[key as string],
    });
  }

  private async append(items: readonly MultiAppendItem[]): Promise<MultiAppendResult[]> {
    this.calls.push([...items]);
    await new Promise<void>((resolve, reject) => this.gates.push({ open: resolve, fail: reject }));
    return this.inner.appendToStreams(items);
  }

  async waitForCalls(n: number): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (this.calls.length < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.calls.length} of ${n} batches started`);
      await new Promise((r) => setImmediate(r));
    }
  }

  open(): void {
    this.gates.shift()?.open();
  }

  fail(err: Error): void {
    this.gates.shift()?.fail(err);
  }
}

describe('UsageBatcher (group commit of UsageRecorded) on PostgreSQL', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let tag: string;

  const usage = (accountId: string, overrides: Partial<RecordUsage> = {}): RecordUsage => ({
    type: 'RecordUsage',
    requestId: `req_${randomUUID().replace(/-/g, '')}`,
    accountId,
    keyId: 'key_1',
    model: 'llama-3-70b',
    endpoint: 'chat.completions',
    nodeId: 'node_1',
    providerId: 'prov_1',
    status: 'completed',
    inputTokens: 120,
    outputTokens: 340,
    images: 0,
    estimated: false,
    ttftMs: 80,
    latencyMs: 900,
    costMicroUsd: 1_234n,
    providerShareBps: 7_000,
    at: new Date().toISOString(),
    ...overrides,
  });
  const account = (i: number) => `${tag}${i}`;
  /**
   * Everything this test stored, read from the table itself: readAll may stop short while any
   * other transaction on the shared test server is in flight (the subscription horizon).
   */
  const stored = async (): Promise<RecordedEvent[]> => {
    const { rows } = await database.pool.query<EventRow>('SELECT * FROM events WHERE stream LIKE $1 ORDER BY transaction_id, global_position', [`usage-${tag}%`]);
    return rows.map(toRecordedEvent);
  };
  /** Statements that wrote batches, counted at the pool. */
  const countBatchStatements = () => {
    const spy = jest.spyOn(database.pool, 'query');
    return () => {
      const n = spy.mock.calls.filter(([q]) => (q as unknown as { name?: string }).name === 'tg_append_multi').length;
      spy.mockRestore();
      return n;
    };
  };

  beforeAll(async () => {
    database = await createTestDatabase('usage_batcher');
    store = new PostgresEventStore(database.pool, { pollIntervalMs: 20 });
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });
  beforeEach(() => {
    tag = `acc${randomUUID().slice(0, 8)}x`;
  });

  it('stores many concurrent charges in far fewer transactions, each once, at the position it reports', async () => {
    const batcher = new UsageBatcher(store, { maxBatch: 500, maxQueue: 10_000 });
    const reports: UsageBatchReport[] = [];
    batcher.onBatch((r) => reports.push(r));
    const statements = countBatchStatements();
    const commands = Array.from({ length: 2_000 }, (_, i) => usage(account(i % 200)));
    const results = await Promise.all(commands.map((c) => batcher.record(c, ctx())));
    expect(statements()).toBe(4); // arrived together: 4 batches of 500
    expect(reports.map((r) => r.events)).toEqual([500, 500, 500, 500]);
    expect(batcher.stats()).toMatchObject({ batches: 4, failedBatches: 0, recorded: 2_000, waiting: 0 });

    const events = await stored();
    expect(events).toHaveLength(2_000);
    const byId = new Map(events.map((e) => [e.id, e]));
    commands.forEach((c, i) => {
      const event = byId.get(usageEventId(c.requestId)) as RecordedEvent;
      expect(event.stream).toBe(usageStream(c.accountId, c.at));
      expect(comparePositions(event.position, results[i].position)).toBe(0);
      expect(results[i].costMicroUsd).toBe(1_234n);
    });
    expect(events[0].data).toMatchObject({ costMicroUsd: '1234', holdId: commands[0].requestId });
    expect(events[0].metadata).toMatchObject({ actorId: 'metering-test' });
  });

  it('batches what arrives while a batch is written: 64 requests in flight share transactions', async () => {
    const batcher = new UsageBatcher(store, { maxBatch: 500, maxQueue: 10_000 });
    const statements = countBatchStatements();
    let left = 1_280;
    await Promise.all(
      Array.from({ length: 64 }, async (_, k) => {
        while (left-- > 0) await batcher.record(usage(account(k % 16)), ctx());
      }),
    );
    const batches = statements();
    expect(batches).toBe(batcher.stats().batches);
    expect(batches).toBeLessThanOrEqual(1_280 / 10);
    expect(await stored()).toHaveLength(1_280);
  });

  it('writes a lone charge at once, in a batch of its own', async () => {
    const batcher = new UsageBatcher(store, { maxBatch: 500, maxQueue: 10_000 });
    const { position } = await batcher.record(usage(account(1)), ctx());
    expect(batcher.stats().batches).toBe(1);
    expect(comparePositions(position, (await stored())[0].position)).toBe(0);
  });

  it('makes a repeated charge a no-op: the same position, one event, in one batch or across batches', async () => {
    const batcher = new UsageBatcher(store, { maxBatch: 500, maxQueue: 10_000 });
    const command = usage(account(1));
    const first = await batcher.record(command, ctx());
    const again = await batcher.record(command, ctx());
    // Together in one turn: the second waits for the next batch (ids are distinct within a call).
    const fresh = usage(account(2));
    const [a, b] = await Promise.all([batcher.record(fresh, ctx()), batcher.record(fresh, ctx())]);
    expect(comparePositions(again.position, first.position)).toBe(0);
    expect(comparePositions(a.position, b.position)).toBe(0);
    expect((await stored()).map((e) => e.data.requestId)).toEqual([command.requestId, fresh.requestId]);
  });

  it('refuses only the charge whose request id was already charged on another day', async () => {
    const batcher = new UsageBatcher(store, { maxBatch: 500, maxQueue: 10_000 });
    const yesterday = usage(account(1), { at: '2030-01-01T23:59:59.000Z' });
    await batcher.record(yesterday, ctx());
    const other = usage(account(1), { at: '2030-01-02T00:00:01.000Z' });
    const [dup, ok] = await Promise.allSettled([batcher.record({ ...yesterday, at: '2030-01-02T00:00:01.000Z' }, ctx()), batcher.record(other, ctx())]);
    expect(dup.status === 'rejected' && (dup.reason as Error).name).toBe('DuplicateEventIdError');
    expect(ok.status).toBe('fulfilled');
  });

  it('rejects every waiter of a failed batch, and the next batch goes on', async () => {
    const gated = new GatedStore(store);
    const batcher = new UsageBatcher(gated.store, { maxBatch: 500, maxQueue: 10_000 });
    const first = Array.from({ length: 5 }, () => batcher.record(usage(account(1)), ctx()));
    await gated.waitForCalls(1);
    const second = Array.from({ length: 3 }, () => batcher.record(usage(account(2)), ctx()));
    gated.fail(new EventStoreUnavailableError('PostgreSQL went away'));
    const settled = await Promise.allSettled(first);
    expect(settled.every((s) => s.status === 'rejected' && s.reason instanceof EventStoreUnavailableError)).toBe(true);
    await gated.waitForCalls(2);
    expect(gated.calls[1]).toHaveLength(3); // those that arrived during the failed batch
    gated.open();
    expect(await Promise.all(second)).toHaveLength(3);
    expect(batcher.stats()).toMatchObject({ batches: 2, failedBatches: 1, recorded: 3 });
    expect(await stored()).toHaveLength(3);
  });

  it('stores nothing of a batch PostgreSQL refuses: the batch is one transaction', async () => {
    // jsonb refuses a NUL character: the statement fails after earlier rows were inserted.
    const items = [1, 2, 3].map((i) => ({
      stream: usageStream(account(i), new Date().toISOString()),
      event: { id: randomUUID(), type: 'UsageRecorded', data: { model: i === 2 ? 'bad\u0000model' : 'ok' } },
    }));
    await expect(store.appendToStreams(items)).rejects.toThrow(/unsupported Unicode escape sequence/);
    expect(await stored()).toHaveLength(0);
  });

  it('refuses alone a charge jsonb cannot hold, so it cannot fail the batch it would join', async () => {
    const batcher = new UsageBatcher(store, { maxBatch: 500, maxQueue: 10_000 });
    const charges = [usage(account(1)), usage(account(2), { model: 'bad\u0000model' }), usage(account(3), { keyId: 'k\ud800' }), usage(account(4), { model: 'emoji \u{1F600}' })];
    const settled = await Promise.allSettled(charges.map((c) => batcher.record(c, ctx())));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(settled[1].status === 'rejected' && settled[1].reason).toMatchObject({ code: 'invalid_usage' });
    expect((await stored()).map((e) => e.data.model)).toEqual(['llama-3-70b', 'emoji \u{1F600}']);
  });

  it('refuses at once, with 503 metering_overloaded, when the queue is full', async () => {
    const gated = new GatedStore(store);
    const batcher = new UsageBatcher(gated.store, { maxBatch: 4, maxQueue: 10 });
    const inFlight = batcher.record(usage(account(0)), ctx());
    await gated.waitForCalls(1);
    const waiting = Array.from({ length: 10 }, (_, i) => batcher.record(usage(account(i)), ctx()));
    const started = performance.now();
    const refused = await batcher.record(usage(account(99)), ctx()).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(50);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ kind: 'unavailable', code: 'metering_overloaded' });
    expect(batcher.stats()).toMatchObject({ refused: 1, waiting: 10 });
    // Released, the waiting charges go out in batches of at most 4.
    for (let batch = 0; batch < 4; batch++) {
      await gated.waitForCalls(batch + 1);
      gated.open();
    }
    await Promise.all([inFlight, ...waiting]);
    expect(gated.calls.map((c) => c.length)).toEqual([1, 4, 4, 2]);
    expect(await stored()).toHaveLength(11);
  });

  it('flushes every waiting charge on shutdown, then refuses new ones', async () => {
    const gated = new GatedStore(store);
    const batcher = new UsageBatcher(gated.store, { maxBatch: 500, maxQueue: 10_000 });
    const first = batcher.record(usage(account(0)), ctx());
    await gated.waitForCalls(1);
    const waiting = Array.from({ length: 20 }, (_, i) => batcher.record(usage(account(i)), ctx()));
    let stopped = false;
    const stopping = batcher.stop().then(() => (stopped = true));
    gated.open();
    await gated.waitForCalls(2);
    expect(stopped).toBe(false);
    gated.open();
    await stopping;
    await Promise.all([first, ...waiting]);
    expect(await stored()).toHaveLength(21);
    await expect(batcher.record(usage(account(1)), ctx())).rejects.toMatchObject({ code: 'metering_stopped' });
  });

  it("stores the events that go with a charge (its node's discrepancies) in the same transaction; a repeat stores nothing twice", async () => {
    const batcher = new UsageBatcher(store, { maxBatch: 3, maxQueue: 100 });
    const charges = Array.from({ length: 6 }, (_, i) => usage(account(i), { nodeId: `node_${tag}` }));
    const withEach = (c: RecordUsage) =>
      discrepancyItems(c, [
        { kind: 'input_tokens_over_bound', reported: '1000000', bound: '700' },
        { kind: 'output_tokens_over_bound', reported: '50000000', bound: '64' },
      ]);
    const reports: UsageBatchReport[] = [];
    batcher.onBatch((r) => reports.push(r));
    await Promise.all(charges.map((c) => batcher.record(c, ctx(), withEach(c))));
    expect(reports.map((r) => r.events)).toEqual([9, 9]); // 3 charges per batch, each with its 2 events
    await Promise.all(charges.map((c) => batcher.record(c, ctx(), withEach(c))));
    const { rows } = await database.pool.query<{ stream: string; transaction_id: string; n: string }>(
      `SELECT stream, transaction_id::text, count(*) AS n FROM events WHERE data->>'nodeId' = $1 AND event_type = 'NodeUsageDiscrepancyRecorded' GROUP BY 1, 2`,
      [`node_${tag}`],
    );
    expect(rows.reduce((s, r) => s + Number(r.n), 0)).toBe(12);
    expect(new Set(rows.map((r) => r.stream))).toEqual(new Set([`nodetrust-node_${tag}-${charges[0].at.slice(0, 10)}`]));
    const charged = (await stored()).filter((e) => charges.some((c) => e.stream === usageStream(c.accountId, c.at)));
    expect(charged).toHaveLength(6);
    // Each charge shares its transaction with its discrepancies.
    const txOf = new Map(charged.map((e) => [e.data.requestId as string, e.position.commit.toString()]));
    const { rows: pairs } = await database.pool.query<{ request_id: string; tx: string }>(
      `SELECT data->>'requestId' AS request_id, transaction_id::text AS tx FROM events WHERE data->>'nodeId' = $1 AND event_type = 'NodeUsageDiscrepancyRecorded'`,
      [`node_${tag}`],
    );
    for (const p of pairs) expect(p.tx).toBe(txOf.get(p.request_id));
  });

  it('refuses an invalid charge at once without touching the batch', async () => {
    const batcher = new UsageBatcher(store, { maxBatch: 500, maxQueue: 10_000 });
    await expect(batcher.record(usage(account(1), { requestId: 'x' }), ctx())).rejects.toMatchObject({ code: 'invalid_usage' });
    expect(batcher.stats().batches).toBe(0);
  });
});

describe('MeteringModule in the app', () => {
  let database: TestDatabase;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    database = await createTestDatabase('metering_module');
  });
  afterAll(async () => {
    await app?.close();
    await database.drop();
  });

  it('serves the batcher in the api role and writes what is waiting when the app closes', async () => {
    app = (await startTestApp(database.url, { metering: { usageBatchMax: 7, usageQueueMax: 1_000 } }, 'api')).app;
    const batcher = app.get(UsageBatcher);
    const accountId = `acc${randomUUID().slice(0, 8)}`;
    const charges = Array.from({ length: 50 }, (_, i) =>
      batcher.record(
        {
          type: 'RecordUsage',
          requestId: `req_${i}_${randomUUID().slice(0, 8)}`,
          accountId,
          keyId: 'k',
          model: 'm',
          endpoint: 'chat.completions',
          nodeId: null,
          providerId: null,
          status: 'completed',
          inputTokens: 1,
          outputTokens: 2,
          images: 0,
          estimated: false,
          ttftMs: null,
          latencyMs: 3,
          costMicroUsd: 10n,
          providerShareBps: 0,
          at: new Date().toISOString(),
        },
        ctx(),
      ),
    );
    const closing = app.close();
    app = undefined;
    await closing;
    expect(await Promise.all(charges)).toHaveLength(50);
    expect(batcher.stats()).toMatchObject({ recorded: 50, batches: 8 }); // batches of at most 7
    await expect(batcher.record({} as RecordUsage, ctx())).rejects.toMatchObject({ code: 'metering_stopped' });
    const { rows } = await database.pool.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE stream LIKE $1', [`usage-${accountId}-%`]);
    expect(rows[0].n).toBe('50');
  });
});
