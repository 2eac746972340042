import { JsonObject } from '../event-store/event-store.port';

/**
 * Projectors must never throw on a recorded event (one bad event would stall every read model),
 * so each checks the fields it writes and skips an event that lacks them.
 */
export function hasStrings(data: JsonObject, ...fields: string[]): boolean {
  return fields.every((f) => typeof data[f] === 'string' && (data[f] as string).length > 0);
}
