import { EventMetadata, JsonObject } from '../event-store/event-store.port';

/** A domain event before it is stored: a past-tense type and a JSON payload. */
export interface DomainEvent<Type extends string = string, Data extends JsonObject = JsonObject> {
  type: Type;
  data: Data;
}

/**
 * Emmett-style decider: pure functions, no I/O, no clock (time arrives inside the command).
 * decide() throws a DomainError when the command is refused.
 */
export interface Decider<State, Command, Event extends DomainEvent> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State): Event[];
}

/** Who did it and why: becomes every event's metadata (the audit trail). */
export interface CommandContext extends EventMetadata {
  actorId: string;
  occurredAt: string;
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
