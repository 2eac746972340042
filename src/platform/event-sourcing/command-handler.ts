import { randomUUID } from 'node:crypto';
import { StreamNotFoundError, StreamVersionConflictError } from '../event-store/event-store.errors';
import { EventStore, ExpectedRevision, Position, RecordedEvent } from '../event-store/event-store.port';
import { CommandContext, Decider, DomainEvent } from './decider';

const PAGE = 1_000;
/**
 * Conflicts mean someone else appended first; deciding again on the new state is always safe.
 * Each round lets at least one writer through, so this many attempts cover that many concurrent
 * writers on one stream (e.g. a payment's webhooks, callback and sweep racing to credit it).
 */
const MAX_ATTEMPTS = 10;
/** A short random pause before retrying spreads writers that collided. */
const RETRY_JITTER_MS = 5;

export interface Aggregate<State> {
  state: State;
  /** The revision to expect on the next append. */
  expected: ExpectedRevision;
  exists: boolean;
}

/** Folds a stream into state (reading it in pages). A missing stream is the initial state. */
export async function loadAggregate<State, Event extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Pick<Decider<State, unknown, Event>, 'initialState' | 'evolve'>,
): Promise<Aggregate<State>> {
  let state = decider.initialState();
  let last: bigint | null = null;
  for (;;) {
    let page: RecordedEvent[];
    try {
      page = await store.readStream(stream, { fromRevision: last === null ? 0n : last + 1n, maxCount: PAGE });
    } catch (err) {
      if (err instanceof StreamNotFoundError) break;
      throw err;
    }
    for (const e of page) state = decider.evolve(state, { type: e.type, data: e.data } as Event);
    if (page.length > 0) last = page[page.length - 1].revision;
    if (page.length < PAGE) break;
  }
  return { state, expected: last === null ? 'no_stream' : last, exists: last !== null };
}

export interface HandleResult<State, Event> {
  events: Event[];
  state: State;
  nextExpectedRevision: bigint | null;
  /** Where the appended events landed in $all; null when the command was a no-op. */
  position: Position | null;
}

/**
 * Load → decide → append with the revision that was read. On a concurrent append the whole
 * cycle runs again on the new state, a bounded number of times.
 */
export async function handleCommand<State, Command, Event extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<State, Command, Event>,
  command: Command,
  context: CommandContext,
): Promise<HandleResult<State, Event>> {
  for (let attempt = 1; ; attempt++) {
    const { state, expected } = await loadAggregate(store, stream, decider);
    const events = decider.decide(command, state);
    if (events.length === 0) return { events, state, nextExpectedRevision: typeof expected === 'bigint' ? expected : null, position: null };
    try {
      const result = await store.append(
        stream,
        events.map((e) => ({ id: randomUUID(), type: e.type, data: e.data, metadata: { ...context } })),
        expected,
      );
      return { events, state: events.reduce(decider.evolve, state), nextExpectedRevision: result.nextExpectedRevision, position: result.position };
    } catch (err) {
      if (err instanceof StreamVersionConflictError && attempt < MAX_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * RETRY_JITTER_MS));
        continue;
      }
      throw err;
    }
  }
}
