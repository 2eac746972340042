import { randomUUID } from 'node:crypto';
import { EventStoreArgumentError, StreamNotFoundError, StreamVersionConflictError } from '../../src/event-store/event-store.errors';
import { comparePositions, EventStore, NewEvent, Position, RecordedEvent } from '../../src/event-store/event-store.port';

/**
 * The one contract both adapters keep. Every test uses fresh stream names and a unique
 * prefix filter, so the suite also runs against a shared, non-empty real server.
 */
export interface ContractTarget {
  open(): Promise<EventStore>;
  /** Called once after the suite. */
  teardown?(): Promise<void>;
}

const ev = (type: string, data: Record<string, string | number> = {}): NewEvent => ({
  id: randomUUID(),
  type,
  data,
  metadata: { correlationId: 'c-1', actorId: 'tester' },
});

async function take(sub: AsyncIterable<RecordedEvent>, n: number, timeoutMs = 5000): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  const it = sub[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      it.next(),
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), Math.max(left, 0)))),
    ]);
    clearTimeout(timer);
    if (next === 'timeout') throw new Error(`timed out after ${out.length}/${n} events`);
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

export function eventStoreContract(name: string, target: ContractTarget): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    let prefix: string;
    const stream = (s: string) => `${prefix}${s}-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      store = await target.open();
    });
    afterAll(async () => {
      await store?.close();
      await target.teardown?.();
    });
    beforeEach(() => {
      prefix = `ct${randomUUID().replace(/-/g, '').slice(0, 10)}-`;
    });

    it('appends to a new stream and reads it back in order with ids, types, data and metadata', async () => {
      const s = stream('order');
      const events = [ev('Opened', { amount_micro_usd: '1500000' }), ev('Closed')];
      const result = await store.append(s, events, 'no_stream');
      expect(result.nextExpectedRevision).toBe(1n);

      const read = await store.readStream(s);
      expect(read.map((e) => [e.id, e.type, e.revision, e.stream])).toEqual([
        [events[0].id, 'Opened', 0n, s],
        [events[1].id, 'Closed', 1n, s],
      ]);
      expect(read[0].data).toEqual({ amount_micro_usd: '1500000' });
      expect(read[0].metadata).toMatchObject({ correlationId: 'c-1', actorId: 'tester' });
      expect(read[0].createdAt).toBeInstanceOf(Date);
      expect(Math.abs(read[0].createdAt.getTime() - Date.now())).toBeLessThan(60_000);
      expect(comparePositions(read[1].position, result.position)).toBe(0);
    });

    it('refuses a wrong expected revision with StreamVersionConflictError and writes nothing', async () => {
      const s = stream('acc');
      await store.append(s, [ev('A'), ev('B')], 'no_stream');
      await expect(store.append(s, [ev('X')], 'no_stream')).rejects.toBeInstanceOf(StreamVersionConflictError);
      await expect(store.append(s, [ev('X')], 0n)).rejects.toBeInstanceOf(StreamVersionConflictError);
      await expect(store.append(s, [ev('X')], 5n)).rejects.toBeInstanceOf(StreamVersionConflictError);
      await expect(store.append(stream('none'), [ev('X')], 'stream_exists')).rejects.toBeInstanceOf(
        StreamVersionConflictError,
      );
      await expect(store.append(stream('none'), [ev('X')], 0n)).rejects.toBeInstanceOf(StreamVersionConflictError);
      expect((await store.readStream(s)).map((e) => e.type)).toEqual(['A', 'B']);

      const ok = await store.append(s, [ev('C')], 1n);
      expect(ok.nextExpectedRevision).toBe(2n);
      expect((await store.append(s, [ev('D')], 'stream_exists')).nextExpectedRevision).toBe(3n);
      expect((await store.append(s, [ev('E')], 'any')).nextExpectedRevision).toBe(4n);
    });

    it('lets exactly one of several concurrent appends at the same expected revision win', async () => {
      const s = stream('race');
      await store.append(s, [ev('Start')], 'no_stream');
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) => store.append(s, [ev(`Try${i}`)], 0n)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StreamVersionConflictError);
      }
      expect(await store.readStream(s)).toHaveLength(2);
    });

    it('is idempotent by event id: re-appending the same events changes nothing', async () => {
      const s = stream('idem');
      const events = [ev('A'), ev('B')];
      const first = await store.append(s, events, 'no_stream');
      const again = await store.append(s, events, 'no_stream');
      expect(again.nextExpectedRevision).toBe(first.nextExpectedRevision);
      const single = [ev('C')];
      await store.append(s, single, 1n);
      await store.append(s, single, 1n);
      await store.append(s, single, 'any');
      expect((await store.readStream(s)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
    });

    it('reads a stream backwards, from a revision, with a limit', async () => {
      const s = stream('many');
      await store.append(s, Array.from({ length: 10 }, (_, i) => ev(`E${i}`)), 'no_stream');
      const back = await store.readStream(s, { direction: 'backwards', maxCount: 3 });
      expect(back.map((e) => e.revision)).toEqual([9n, 8n, 7n]);
      const fwd = await store.readStream(s, { fromRevision: 4n, maxCount: 2 });
      expect(fwd.map((e) => e.revision)).toEqual([4n, 5n]);
      const backFrom = await store.readStream(s, { direction: 'backwards', fromRevision: 2n });
      expect(backFrom.map((e) => e.revision)).toEqual([2n, 1n, 0n]);
    });

    it('throws StreamNotFoundError for a stream with no events', async () => {
      await expect(store.readStream(stream('ghost'))).rejects.toBeInstanceOf(StreamNotFoundError);
    });

    it('rejects out-of-limit requests with EventStoreArgumentError', async () => {
      await expect(store.readStream(stream('x'), { maxCount: 0 })).rejects.toBeInstanceOf(EventStoreArgumentError);
      await expect(store.readStream(stream('x'), { maxCount: 1_000_000 })).rejects.toBeInstanceOf(
        EventStoreArgumentError,
      );
      await expect(store.append(stream('x'), [], 'any')).rejects.toBeInstanceOf(EventStoreArgumentError);
      await expect(store.append('bad stream name!', [ev('A')], 'any')).rejects.toBeInstanceOf(EventStoreArgumentError);
    });

    it('reads $all in one global order, after a position, filtered by stream prefix', async () => {
      const a = stream('a');
      const b = stream('b');
      await store.append(a, [ev('A0')], 'no_stream');
      await store.append(b, [ev('B0'), ev('B1')], 'no_stream');
      await store.append(a, [ev('A1')], 0n);

      const filter = { kind: 'streamPrefix' as const, prefixes: [prefix] };
      const all = await store.readAll({ filter, maxCount: 100 });
      expect(all.map((e) => e.type)).toEqual(['A0', 'B0', 'B1', 'A1']);
      for (let i = 1; i < all.length; i++) expect(comparePositions(all[i - 1].position, all[i].position)).toBe(-1);

      const after = await store.readAll({ filter, after: all[1].position, maxCount: 100 });
      expect(after.map((e) => e.type)).toEqual(['B1', 'A1']);
      const page = await store.readAll({ filter, after: all[0].position, maxCount: 1 });
      expect(page.map((e) => e.type)).toEqual(['B0']);

      const head = await store.headPosition();
      expect(head).not.toBeNull();
      expect(comparePositions(head as Position, all[3].position)).toBeGreaterThanOrEqual(0);
    });

    it('subscribes to $all from a checkpoint: backlog after it, caught up, then live events', async () => {
      const s = stream('sub');
      const first = await store.append(s, [ev('Before1')], 'no_stream');
      await store.append(s, [ev('Before2'), ev('Before3')], 0n);

      const sub = store.subscribeAll({ after: first.position, filter: { kind: 'streamPrefix', prefixes: [prefix] } });
      try {
        const backlog = await take(sub, 2);
        expect(backlog.map((e) => e.type)).toEqual(['Before2', 'Before3']);
        const live = take(sub, 2);
        await store.append(s, [ev('Live1')], 2n);
        await store.append(stream('other'), [ev('Live2')], 'no_stream');
        expect((await live).map((e) => e.type)).toEqual(['Live1', 'Live2']);
        expect(sub.caughtUp).toBe(true);
      } finally {
        await sub.close();
      }
    });

    it('filters a subscription by event type prefix', async () => {
      const s = stream('types');
      const typePrefix = `T${prefix.replace(/-/g, '')}`;
      const start = await store.headPosition();
      const sub = store.subscribeAll({
        after: start ?? undefined,
        filter: { kind: 'eventTypePrefix', prefixes: [`${typePrefix}Keep`] },
      });
      try {
        await store.append(s, [ev(`${typePrefix}Drop`), ev(`${typePrefix}Keep1`), ev(`${typePrefix}Keep2`)], 'no_stream');
        expect((await take(sub, 2)).map((e) => e.type)).toEqual([`${typePrefix}Keep1`, `${typePrefix}Keep2`]);
      } finally {
        await sub.close();
      }
    });

    it('resumes a subscription from a stored checkpoint without repeating or skipping', async () => {
      const s = stream('resume');
      const filter = { kind: 'streamPrefix' as const, prefixes: [prefix] };
      await store.append(s, [ev('E0'), ev('E1'), ev('E2')], 'no_stream');
      const sub1 = store.subscribeAll({ filter });
      const seen1 = await take(sub1, 2);
      await sub1.close();
      const checkpoint = seen1[1].position;

      await store.append(s, [ev('E3')], 2n);
      const sub2 = store.subscribeAll({ filter, after: checkpoint });
      try {
        expect((await take(sub2, 2)).map((e) => e.type)).toEqual(['E2', 'E3']);
      } finally {
        await sub2.close();
      }
    });
  });
}
