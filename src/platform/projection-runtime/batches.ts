import { RecordedEvent } from '../event-store/event-store.port';

const NOT_READY = Symbol('not-ready');

/**
 * Groups a subscription's events into batches: whatever is already available, up to `max`,
 * so catch-up commits many events per transaction while a live event is applied at once.
 */
export async function* batches(source: AsyncIterable<RecordedEvent>, max: number): AsyncGenerator<RecordedEvent[]> {
  const it = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<RecordedEvent>> | null = null;
  for (;;) {
    const first: IteratorResult<RecordedEvent> = await (pending ?? it.next());
    pending = null;
    if (first.done) return;
    const batch = [first.value];
    let ended = false;
    while (batch.length < max) {
      const next = it.next();
      const ready = await Promise.race([next, new Promise<typeof NOT_READY>((r) => setImmediate(r, NOT_READY))]);
      if (ready === NOT_READY) {
        pending = next;
        break;
      }
      if (ready.done) {
        ended = true;
        break;
      }
      batch.push(ready.value);
    }
    yield batch;
    if (ended) return;
  }
}
