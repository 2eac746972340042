import { randomUUID } from 'node:crypto';
import { createServer, Socket } from 'node:net';
import { Pool } from 'pg';
import { loadConfig } from '../../src/platform/config/config';
import { createEventStore } from '../../src/platform/event-store/create-event-store';
import { EventStoreDbEventStore, EventStoreDbOptions } from '../../src/platform/event-store/eventstoredb/eventstoredb.event-store';
import { EventStoreArgumentError, EventStoreUnavailableError, StreamVersionConflictError } from '../../src/platform/event-store/event-store.errors';
import { AllSubscription, comparePositions, NewEvent, RecordedEvent } from '../../src/platform/event-store/event-store.port';
import { EventStoreDbStandIn, startEventStoreDbStandIn } from '../standins/eventstoredb/standin';
import { eventually } from '../support/eventually';
import { eventStoreContract } from './contract';

let contractStandIn: EventStoreDbStandIn | undefined;
eventStoreContract('EventStoreDB (protocol stand-in)', {
  async open() {
    contractStandIn = await startEventStoreDbStandIn();
    return EventStoreDbEventStore.fromConnectionString(contractStandIn.connectionString);
  },
  async teardown() {
    await contractStandIn?.stop();
  },
  globalEventIds: false,
});

const realServer = process.env.EVENTSTORE_CONNECTION_STRING;
if (realServer) {
  eventStoreContract('EventStoreDB (real server)', {
    open: async () => EventStoreDbEventStore.fromConnectionString(realServer),
    globalEventIds: false,
  });
} else {
  console.log('skipping real EventStoreDB contract: EVENTSTORE_CONNECTION_STRING is not set');
  describe.skip('EventStoreDB (real server)', () => {
    eventStoreContract('EventStoreDB (real server)', {
      open: () => Promise.reject(new Error('EVENTSTORE_CONNECTION_STRING is not set')),
      globalEventIds: false,
    });
  });
}

const ev = (type: string): NewEvent => ({ id: randomUUID(), type, data: { n: type }, metadata: { actorId: 'tester' } });

async function next(sub: AllSubscription, timeoutMs = 3000): Promise<RecordedEvent> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no event in time')), timeoutMs);
  });
  try {
    const result = await Promise.race([sub[Symbol.asyncIterator]().next(), timeout]);
    if (result.done) throw new Error('subscription ended');
    return result.value;
  } finally {
    clearTimeout(timer);
  }
}

describe('EventStoreDbEventStore on the protocol stand-in', () => {
  let standIn: EventStoreDbStandIn;
  const opened: EventStoreDbEventStore[] = [];
  const open = (options?: EventStoreDbOptions) => {
    const store = EventStoreDbEventStore.fromConnectionString(standIn.connectionString, options);
    opened.push(store);
    return store;
  };
  const stream = (s: string) => `${s}-${randomUUID().slice(0, 8)}`;

  beforeEach(async () => {
    standIn = await startEventStoreDbStandIn();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await standIn.stop();
  });

  it('is the store the app opens when a connection string is configured (its client loaded only then)', async () => {
    const config = loadConfig({ NODE_ENV: 'test', EVENTSTORE_CONNECTION_STRING: standIn.connectionString });
    const store = await createEventStore(config, new Pool());
    try {
      expect(store).toBeInstanceOf(EventStoreDbEventStore);
      await store.append(stream('configured'), [ev('Configured')], 'no_stream');
      expect((await store.readAll({ maxCount: 10 })).map((e) => e.type)).toEqual(['Configured']);
    } finally {
      await store.close();
    }
  });

  it('leaves system events out of readAll and unfiltered subscriptions', async () => {
    const store = open();
    expect(standIn.log.events[0].type).toBe('$scavengeIndexInitialized');
    await store.append(stream('mine'), [ev('Mine')], 'no_stream');
    expect((await store.readAll({ maxCount: 10 })).map((e) => e.type)).toEqual(['Mine']);
    expect((await store.readAll({ maxCount: 1 })).map((e) => e.type)).toEqual(['Mine']);
    const sub = store.subscribeAll();
    try {
      expect((await next(sub)).type).toBe('Mine');
    } finally {
      await sub.close();
    }
  });

  it('returns the original revision and position when an append is repeated', async () => {
    const store = open();
    const s = stream('idem');
    const events = [ev('A'), ev('B')];
    const first = await store.append(s, events, 'no_stream');
    const again = await store.append(s, events, 'no_stream');
    const anyAgain = await store.append(s, events, 'any');
    for (const r of [again, anyAgain]) {
      expect(r.nextExpectedRevision).toBe(1n);
      expect(comparePositions(r.position, first.position)).toBe(0);
    }
  });

  it('reports expected and actual revisions in StreamVersionConflictError', async () => {
    const store = open();
    const s = stream('conflict');
    await store.append(s, [ev('A'), ev('B')], 'no_stream');
    const err = await store.append(s, [ev('C')], 0n).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamVersionConflictError);
    expect(err).toMatchObject({ stream: s, expected: '0', actual: '1' });
    await expect(store.append(stream('none'), [ev('C')], 'stream_exists')).rejects.toMatchObject({
      expected: 'stream_exists',
      actual: 'no_stream',
    });
  });

  it('turns caughtUp on only once the backlog has been consumed', async () => {
    const store = open();
    await store.append(stream('backlog'), [ev('B0'), ev('B1'), ev('B2')], 'no_stream');
    const sub = store.subscribeAll();
    try {
      await next(sub);
      await next(sub);
      // Give the caught_up message time to arrive: the flag must still wait for B2.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(sub.caughtUp).toBe(false);
      expect((await next(sub)).type).toBe('B2');
      expect(sub.caughtUp).toBe(true);
    } finally {
      await sub.close();
    }
  });

  it('pages readAll through skipped events and keeps `after` exclusive across pages', async () => {
    const store = open({ readAllPageSize: 2 });
    const a = stream('keep');
    const b = stream('skip');
    for (let i = 0; i < 4; i++) {
      await store.append(a, [ev(`K${i}`)], i === 0 ? 'no_stream' : BigInt(i - 1));
      await store.append(b, [ev(`S${i}a`), ev(`S${i}b`)], i === 0 ? 'no_stream' : BigInt(2 * i - 1));
    }
    const filter = { kind: 'streamPrefix' as const, prefixes: ['keep-'] };
    const all = await store.readAll({ filter, maxCount: 10 });
    expect(all.map((e) => e.type)).toEqual(['K0', 'K1', 'K2', 'K3']);
    expect((await store.readAll({ filter, maxCount: 2, after: all[0].position })).map((e) => e.type)).toEqual(['K1', 'K2']);
    expect((await store.readAll({ maxCount: 3, after: all[1].position })).map((e) => e.type)).toEqual(['S1a', 'S1b', 'K2']);
  });

  it('fails a filtered readAll that exceeds its scan bound instead of returning a short page', async () => {
    const store = open({ readAllPageSize: 2, readAllMaxScannedEvents: 4 });
    await store.append(
      stream('noise'),
      Array.from({ length: 8 }, (_, i) => ev(`N${i}`)),
      'no_stream',
    );
    const filter = { kind: 'streamPrefix' as const, prefixes: ['absent-'] };
    await expect(store.readAll({ filter, maxCount: 1 })).rejects.toBeInstanceOf(EventStoreArgumentError);
  });

  it('reports an outage as EventStoreUnavailableError and recovers when the server is back', async () => {
    const store = open();
    await store.ping();
    await standIn.stop();
    const started = Date.now();
    await expect(store.ping()).rejects.toBeInstanceOf(EventStoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(store.append(stream('down'), [ev('A')], 'any')).rejects.toBeInstanceOf(EventStoreUnavailableError);
    await expect(store.readStream(stream('down'))).rejects.toBeInstanceOf(EventStoreUnavailableError);
    await expect(store.headPosition()).rejects.toBeInstanceOf(EventStoreUnavailableError);

    await standIn.start();
    await eventually(() => store.ping(), 5_000, 50);
    const s = stream('up');
    await store.append(s, [ev('A')], 'no_stream');
    expect(await store.readStream(s)).toHaveLength(1);
  });

  it('fails a live subscription with EventStoreUnavailableError when the server goes away', async () => {
    const store = open();
    await store.append(stream('live'), [ev('A')], 'no_stream');
    const sub = store.subscribeAll();
    try {
      await next(sub);
      await standIn.stop();
      await expect(next(sub)).rejects.toBeInstanceOf(EventStoreUnavailableError);
    } finally {
      await sub.close();
    }
  });

  it('times out a ping to a server that accepts connections but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const store = EventStoreDbEventStore.fromConnectionString(`esdb://127.0.0.1:${port}?tls=false`, { pingTimeoutMs: 300 });
    try {
      await expect(store.ping()).rejects.toBeInstanceOf(EventStoreUnavailableError);
    } finally {
      await store.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
