/** Our own errors: adapters translate vendor errors into these, so no caller imports a client. */
export class StreamVersionConflictError extends Error {
  readonly code = 'stream_version_conflict';
  constructor(
    readonly stream: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`Stream ${stream}: expected revision ${expected}, actual ${actual}`);
    this.name = 'StreamVersionConflictError';
  }
}

export class StreamNotFoundError extends Error {
  readonly code = 'stream_not_found';
  constructor(readonly stream: string) {
    super(`Stream ${stream} not found`);
    this.name = 'StreamNotFoundError';
  }
}

/** An event id already recorded with different content or in another stream. */
export class DuplicateEventIdError extends Error {
  readonly code = 'duplicate_event_id';
  constructor(readonly eventId: string) {
    super(`Event ${eventId} was already appended elsewhere`);
    this.name = 'DuplicateEventIdError';
  }
}

export class EventStoreUnavailableError extends Error {
  readonly code = 'event_store_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreUnavailableError';
  }
}

/** A request outside the port's limits (count, batch size, stream name): a programmer error. */
export class EventStoreArgumentError extends Error {
  readonly code = 'event_store_invalid_argument';
  constructor(message: string) {
    super(message);
    this.name = 'EventStoreArgumentError';
  }
}
