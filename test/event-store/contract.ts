import { randomUUID } from 'node:crypto';
import { DuplicateEventIdError, EventStoreArgumentError, StreamNotFoundError, StreamVersionConflictError } from '../../src/platform/event-store/event-store.errors';
import { comparePositions, EventStore, MultiAppendItem, MultiAppendResult, NewEvent, Position, RecordedEvent } from '../../src/platform/event-store/event-store.port';
import { MAX_EVENTS_PER_APPEND } from '../../src/platform/store-limits';

/**
 * The one contract both adapters keep. Every test uses fresh stream names and a unique
 * prefix filter, so the suite also runs against a shared, non-empty real server.
 */
export interface ContractTarget {
  open(): Promise<EventStore>;
  /** Called once after the suite. */
  teardown?(): Promise<void>;
  /**
   * Whether the adapter refuses an event id already stored in another stream and tells a repeat
   * from a write (PostgreSQL). EventStoreDB keeps ids unique per stream only and answers a
   * repeat like a write ('stored').
   */
  globalEventIds: boolean;
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
    const next = await Promise.race([it.next(), new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), Math.max(left, 0))))]);
    clearTimeout(timer);
    if (next === 'timeout') throw new Error(`timed out after ${out.length}/${n} events`);
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

type Stored = Extract<MultiAppendResult, { ok: true }>;

function stored(result: MultiAppendResult): Stored {
  if (!result.ok) throw result.error;
  return result;
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
      await expect(store.append(stream('none'), [ev('X')], 'stream_exists')).rejects.toBeInstanceOf(StreamVersionConflictError);
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
      const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => store.append(s, [ev(`Try${i}`)], 0n)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StreamVersionConflictError);
      }
      expect(await store.readStream(s)).toHaveLength(2);
    });

    it("never fails an 'any' append because others appended to the same stream first", async () => {
      // A hot stream (the day's audit log): many writers at once, none may be refused.
      const s = stream('hot');
      const writers = 200;
      const started = Date.now();
      const results = await Promise.allSettled(Array.from({ length: writers }, (_, i) => store.append(s, [ev(`W${i}`), ev(`W${i}b`)], 'any')));
      const ms = Date.now() - started;
      const failed = results.filter((r) => r.status === 'rejected');
      console.log(`contract: ${writers} concurrent 'any' appends to one stream in ${ms} ms (${Math.round((writers * 1000) / Math.max(ms, 1))} appends/s), ${failed.length} failed`);
      expect(failed.map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      const events = await store.readStream(s, { maxCount: 1_000 });
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: writers * 2 }, (_, i) => BigInt(i)));
      // Each append's events stay together, and every answer names the revision of its own last event.
      for (let i = 0; i < writers; i++) {
        const at = events.findIndex((e) => e.type === `W${i}`);
        expect(events[at + 1].type).toBe(`W${i}b`);
        expect((results[i] as PromiseFulfilledResult<{ nextExpectedRevision: bigint }>).value.nextExpectedRevision).toBe(events[at + 1].revision);
      }
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
      await store.append(
        s,
        Array.from({ length: 10 }, (_, i) => ev(`E${i}`)),
        'no_stream',
      );
      const back = await store.readStream(s, { direction: 'backwards', maxCount: 3 });
      expect(back.map((e) => e.revision)).toEqual([9n, 8n, 7n]);
      const fwd = await store.readStream(s, { fromRevision: 4n, maxCount: 2 });
      expect(fwd.map((e) => e.revision)).toEqual([4n, 5n]);
      const backFrom = await store.readStream(s, { direction: 'backwards', fromRevision: 2n });
      expect(backFrom.map((e) => e.revision)).toEqual([2n, 1n, 0n]);
    });

    describe('truncateStreamBefore (retention)', () => {
      it('removes the events below a revision from stream reads; the rest, the revision and the next append are unchanged', async () => {
        const s = stream('trunc');
        const events = Array.from({ length: 6 }, (_, i) => ev(`E${i}`));
        await store.append(s, events, 'no_stream');
        await store.truncateStreamBefore(s, 4n);
        expect((await store.readStream(s)).map((e) => [e.revision, e.id])).toEqual([
          [4n, events[4].id],
          [5n, events[5].id],
        ]);
        expect((await store.readStream(s, { fromRevision: 1n })).map((e) => e.revision)).toEqual([4n, 5n]);
        expect((await store.readStream(s, { direction: 'backwards' })).map((e) => e.revision)).toEqual([5n, 4n]);
        expect(await store.readStream(s, { direction: 'backwards', fromRevision: 3n }).catch(() => [])).toEqual([]);
        // The stream goes on where it was: an append expecting revision 5 succeeds, one expecting 3 conflicts.
        await expect(store.append(s, [ev('Late')], 3n)).rejects.toBeInstanceOf(StreamVersionConflictError);
        expect((await store.append(s, [ev('Next')], 5n)).nextExpectedRevision).toBe(6n);
        expect((await store.readStream(s)).map((e) => e.type)).toEqual(['E4', 'E5', 'Next']);
      });

      it('is idempotent and never lowers: a repeat or a smaller revision changes nothing', async () => {
        const s = stream('trunc2');
        await store.append(
          s,
          Array.from({ length: 5 }, (_, i) => ev(`E${i}`)),
          'no_stream',
        );
        await store.truncateStreamBefore(s, 3n);
        await store.truncateStreamBefore(s, 3n);
        await store.truncateStreamBefore(s, 1n);
        expect((await store.readStream(s)).map((e) => e.revision)).toEqual([3n, 4n]);
        await store.truncateStreamBefore(s, 4n);
        expect((await store.readStream(s)).map((e) => e.revision)).toEqual([4n]);
      });

      it('keeps the last event: truncating past it is refused, as is a missing stream', async () => {
        const s = stream('trunc3');
        await store.append(s, [ev('A'), ev('B')], 'no_stream');
        await expect(store.truncateStreamBefore(s, 2n)).rejects.toBeInstanceOf(EventStoreArgumentError);
        await expect(store.truncateStreamBefore(s, -1n)).rejects.toBeInstanceOf(EventStoreArgumentError);
        await expect(store.truncateStreamBefore(stream('ghost'), 0n)).rejects.toBeInstanceOf(StreamNotFoundError);
        expect((await store.readStream(s)).map((e) => e.type)).toEqual(['A', 'B']);
      });
    });

    it('throws StreamNotFoundError for a stream with no events', async () => {
      await expect(store.readStream(stream('ghost'))).rejects.toBeInstanceOf(StreamNotFoundError);
    });

    it('rejects out-of-limit requests with EventStoreArgumentError', async () => {
      await expect(store.readStream(stream('x'), { maxCount: 0 })).rejects.toBeInstanceOf(EventStoreArgumentError);
      await expect(store.readStream(stream('x'), { maxCount: 1_000_000 })).rejects.toBeInstanceOf(EventStoreArgumentError);
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
    describe('appendToStreams (group commit)', () => {
      const item = (s: string, type: string): MultiAppendItem => ({ stream: s, event: ev(type) });
      const appended = target.globalEventIds ? ['appended'] : ['stored'];
      const repeated = target.globalEventIds ? ['idempotent'] : ['stored'];

      it('appends to several streams in one call, in order within each stream, one result per item', async () => {
        const [a, b, c] = [stream('a'), stream('b'), stream('c')];
        const before = await store.append(b, [ev('B0'), ev('B1')], 'no_stream');
        const items = [item(a, 'A0'), item(b, 'B2'), item(a, 'A1'), item(c, 'C0'), item(b, 'B3'), item(a, 'A2')];
        const results = (await store.appendToStreams(items)).map(stored);
        expect(results.map((r) => r.revision)).toEqual([0n, 2n, 1n, 0n, 3n, 2n]);
        for (const r of results) expect(appended).toContain(r.outcome);

        expect((await store.readStream(a)).map((e) => e.type)).toEqual(['A0', 'A1', 'A2']);
        expect((await store.readStream(b)).map((e) => e.type)).toEqual(['B0', 'B1', 'B2', 'B3']);
        expect((await store.readStream(c)).map((e) => e.type)).toEqual(['C0']);
        // Each result's position is where the event is stored, after everything appended before the call.
        for (const [i, r] of results.entries()) {
          const [event] = await store.readStream(items[i].stream, { fromRevision: r.revision, maxCount: 1 });
          expect(event.id).toBe(items[i].event.id);
          expect(comparePositions(event.position, r.position)).toBe(0);
          expect(comparePositions(r.position, before.position)).toBe(1);
        }
        // Within a stream, positions follow revisions.
        expect(comparePositions(results[0].position, results[2].position)).toBe(-1);
        expect(comparePositions(results[2].position, results[5].position)).toBe(-1);
        expect(comparePositions(results[1].position, results[4].position)).toBe(-1);

        // A later call lands after every event of an earlier one.
        const later = stored((await store.appendToStreams([item(c, 'C1')]))[0]);
        for (const r of results) expect(comparePositions(r.position, later.position)).toBe(-1);
      });

      it('is idempotent per event id: a repeated item returns the stored event and writes nothing', async () => {
        const [a, b] = [stream('a'), stream('b')];
        const earlier = ev('ByAppend');
        await store.append(a, [earlier], 'no_stream');
        const items = [item(a, 'A1'), item(b, 'B0')];
        const first = (await store.appendToStreams(items)).map(stored);
        const fresh = item(b, 'B1');
        const again = (await store.appendToStreams([items[1], { stream: a, event: earlier }, fresh, items[0]])).map(stored);
        expect(again.map((r) => r.revision)).toEqual([0n, 0n, 1n, 1n]);
        for (const r of [again[0], again[1], again[3]]) expect(repeated).toContain(r.outcome);
        expect(appended).toContain(again[2].outcome);
        expect(comparePositions(again[0].position, first[1].position)).toBe(0);
        expect(comparePositions(again[3].position, first[0].position)).toBe(0);
        expect((await store.readStream(a)).map((e) => e.type)).toEqual(['ByAppend', 'A1']);
        expect((await store.readStream(b)).map((e) => e.type)).toEqual(['B0', 'B1']);
        // And append sees the items' ids as already appended.
        const viaAppend = await store.append(b, [items[1].event], 'any');
        expect(comparePositions(viaAppend.position, first[1].position)).toBe(0);
      });

      if (target.globalEventIds) {
        it('fails only the item whose event id is already in another stream, with DuplicateEventIdError', async () => {
          const [a, b] = [stream('a'), stream('b')];
          const taken = ev('Taken');
          await store.append(a, [taken], 'no_stream');
          const results = await store.appendToStreams([item(b, 'B0'), { stream: b, event: taken }, item(b, 'B1')]);
          expect(results[1].ok).toBe(false);
          expect(!results[1].ok && results[1].error).toBeInstanceOf(DuplicateEventIdError);
          expect([results[0], results[2]].map((r) => stored(r).revision)).toEqual([0n, 1n]);
          expect((await store.readStream(b)).map((e) => e.type)).toEqual(['B0', 'B1']);
          expect((await store.readStream(a)).map((e) => e.type)).toEqual(['Taken']);
        });
      }

      it('lets concurrent calls append to the same streams without failing or losing an event', async () => {
        const shared = [stream('s0'), stream('s1'), stream('s2')];
        const calls = Array.from({ length: 8 }, (_, c) => store.appendToStreams(Array.from({ length: 12 }, (_, i) => item(shared[(c + i) % 3], `C${c}E${i}`))));
        const results = (await Promise.all(calls)).flat().map(stored);
        expect(results).toHaveLength(96);
        for (const s of shared) {
          const events = await store.readStream(s);
          expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 32 }, (_, i) => BigInt(i)));
          // Each call's events keep their order within the stream.
          for (let c = 0; c < 8; c++) {
            const mine = events.filter((e) => e.type.startsWith(`C${c}E`)).map((e) => Number(e.type.slice(`C${c}E`.length)));
            expect(mine).toEqual([...mine].sort((x, y) => x - y));
          }
        }
      });

      it("delivers every event of every call to subscribers, once, in each stream's order", async () => {
        const filter = { kind: 'streamPrefix' as const, prefixes: [prefix] };
        const start = await store.headPosition();
        const sub = store.subscribeAll({ after: start ?? undefined, filter });
        try {
          const streams = Array.from({ length: 5 }, (_, i) => stream(`sub${i}`));
          const writes = Array.from({ length: 4 }, (_, c) => store.appendToStreams(Array.from({ length: 25 }, (_, i) => item(streams[i % 5], `W${c}-${i}`))));
          await Promise.all(writes);
          const seen = await take(sub, 100);
          expect(new Set(seen.map((e) => e.id)).size).toBe(100);
          for (let i = 1; i < seen.length; i++) expect(comparePositions(seen[i - 1].position, seen[i].position)).toBe(-1);
          for (const s of streams) {
            const revisions = seen.filter((e) => e.stream === s).map((e) => e.revision);
            expect(revisions).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)));
          }
        } finally {
          await sub.close();
        }
      });

      it('rejects out-of-limit calls with EventStoreArgumentError', async () => {
        const s = stream('x');
        await expect(store.appendToStreams([])).rejects.toBeInstanceOf(EventStoreArgumentError);
        const tooMany = Array.from({ length: MAX_EVENTS_PER_APPEND + 1 }, () => item(s, 'X'));
        await expect(store.appendToStreams(tooMany)).rejects.toBeInstanceOf(EventStoreArgumentError);
        const twice = ev('Twice');
        await expect(
          store.appendToStreams([
            { stream: s, event: twice },
            { stream: stream('y'), event: twice },
          ]),
        ).rejects.toBeInstanceOf(EventStoreArgumentError);
        await expect(store.appendToStreams([item('bad stream name!', 'X')])).rejects.toBeInstanceOf(EventStoreArgumentError);
        await expect(store.appendToStreams([{ stream: s, event: { ...ev('X'), type: '$system' } }])).rejects.toBeInstanceOf(EventStoreArgumentError);
        await expect(store.readStream(s)).rejects.toBeInstanceOf(StreamNotFoundError);
      });
    });
  });
}
