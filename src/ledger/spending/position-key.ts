import { Position } from '../../platform/event-store/event-store.port';

const WIDTH = 20; // digits of the largest unsigned 64-bit number

/** A position as a fixed-width string, so Lua can compare positions as plain strings. */
export function positionKey(position: Position | null): string {
  if (!position) return `${'0'.repeat(WIDTH)}:${'0'.repeat(WIDTH)}`;
  return `${position.commit.toString().padStart(WIDTH, '0')}:${position.prepare.toString().padStart(WIDTH, '0')}`;
}
