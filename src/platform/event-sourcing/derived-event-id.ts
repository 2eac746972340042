import { createHash } from 'node:crypto';

/**
 * A UUID (version-5 layout) derived from what an event records, e.g. `usage-recorded:<requestId>`:
 * the event store makes an append of an id it already holds a no-op, so a retried write of the
 * same fact records it once.
 */
export function derivedEventId(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}
