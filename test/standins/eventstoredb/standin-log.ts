/**
 * The stand-in's in-memory transaction log: streams, $all order, optimistic concurrency and
 * idempotency by event id, modelled on EventStoreDB's commit check (IndexWriter.CheckCommit).
 * Pure data; the gRPC mapping lives in standin-append.ts / standin-read.ts.
 */

export interface StoredEvent {
  id: string;
  stream: string;
  revision: bigint;
  /** commit = prepare in this log: every event is its own "prepare" record. */
  logPosition: bigint;
  type: string;
  contentType: string;
  data: Uint8Array;
  customMetadata: Uint8Array;
  /** 100-ns ticks since the Unix epoch, as EventStoreDB sends `created`. */
  createdTicks: bigint;
}

export interface ProposedEvent {
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  customMetadata: Uint8Array;
}

/** Same sentinels as EventStoreDB's ExpectedVersion, so the check below reads like the server's. */
export type Expected = { kind: 'any' } | { kind: 'no_stream' } | { kind: 'stream_exists' } | { kind: 'revision'; revision: bigint };

export type AppendOutcome = { kind: 'written' | 'idempotent'; lastRevision: bigint; lastLogPosition: bigint } | { kind: 'wrong_expected_version'; currentRevision: bigint | null };

export type LogListener = (event: StoredEvent) => void;

/** Gap between consecutive log positions, so positions look like byte offsets in a real log. */
const LOG_POSITION_STRIDE = 137n;
const TICKS_PER_MILLISECOND = 10_000n;
const NO_STREAM = -1n;

export class StandInLog {
  private readonly all: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly byId = new Map<string, StoredEvent>();
  private readonly listeners = new Set<LogListener>();
  private nextLogPosition = LOG_POSITION_STRIDE;

  get events(): readonly StoredEvent[] {
    return this.all;
  }

  stream(name: string): readonly StoredEvent[] | undefined {
    return this.streams.get(name);
  }

  /** Synchronous, so concurrent appends are serialised exactly like the server's single writer. */
  append(stream: string, expected: Expected, proposed: ProposedEvent[]): AppendOutcome {
    const current = this.lastRevision(stream);
    const decision = this.check(stream, current, expected, proposed);
    if (decision.kind !== 'ok') return decision;

    const existing = this.streams.get(stream) ?? [];
    this.streams.set(stream, existing);
    const createdTicks = BigInt(Date.now()) * TICKS_PER_MILLISECOND;
    const written: StoredEvent[] = proposed.map((p, i) => {
      const event: StoredEvent = {
        ...p,
        id: p.id.toLowerCase(),
        stream,
        revision: current + 1n + BigInt(i),
        logPosition: this.nextLogPosition,
        createdTicks,
      };
      this.nextLogPosition += LOG_POSITION_STRIDE;
      return event;
    });
    for (const event of written) {
      existing.push(event);
      this.all.push(event);
      this.byId.set(event.id, event);
    }
    // Notify only after the whole batch is in, so a listener never sees half an append.
    for (const event of written) for (const listener of [...this.listeners]) listener(event);
    const last = written[written.length - 1];
    return { kind: 'written', lastRevision: last.revision, lastLogPosition: last.logPosition };
  }

  /** Returns the unsubscribe function. */
  listen(listener: LogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Index of the first event in $all with logPosition >= position. */
  indexAtOrAfter(position: bigint): number {
    let lo = 0;
    let hi = this.all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.all[mid].logPosition < position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private lastRevision(stream: string): bigint {
    const events = this.streams.get(stream);
    return events && events.length > 0 ? events[events.length - 1].revision : NO_STREAM;
  }

  private check(stream: string, current: bigint, expected: Expected, proposed: ProposedEvent[]): { kind: 'ok' } | AppendOutcome {
    const wrong = { kind: 'wrong_expected_version', currentRevision: current === NO_STREAM ? null : current } as const;
    if (expected.kind === 'stream_exists' && current === NO_STREAM) return wrong;

    // any / stream_exists: idempotent when every id is already in this stream; a partial match
    // is "corrupted idempotency", which the server answers with wrong expected version.
    if (expected.kind === 'any' || expected.kind === 'stream_exists') {
      const found = proposed.map((p) => this.byId.get(p.id.toLowerCase()));
      const inStream = found.map((e) => e !== undefined && e.stream === stream);
      if (!inStream[0]) return { kind: 'ok' };
      if (!inStream.every(Boolean)) return wrong;
      return this.idempotent(found[found.length - 1] as StoredEvent);
    }

    const expectedRevision = expected.kind === 'no_stream' ? NO_STREAM : expected.revision;
    if (expectedRevision === current) return { kind: 'ok' };
    if (expectedRevision > current) return wrong;

    // The caller is behind: idempotent only if exactly these ids follow the expected revision.
    const events = this.streams.get(stream) ?? [];
    for (let i = 0; i < proposed.length; i++) {
      const at = events[Number(expectedRevision + 1n) + i];
      if (at === undefined || at.id !== proposed[i].id.toLowerCase()) return wrong;
    }
    return this.idempotent(events[Number(expectedRevision) + proposed.length]);
  }

  private idempotent(last: StoredEvent): AppendOutcome {
    return { kind: 'idempotent', lastRevision: last.revision, lastLogPosition: last.logPosition };
  }
}
