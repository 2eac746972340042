import { EventStore, RecordedEvent } from '../../src/platform/event-store/event-store.port';

/** Every event on the audit streams, in $all order. */
export async function auditEvents(store: EventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: events[events.length - 1]?.position, maxCount: 1_000, filter: { kind: 'streamPrefix', prefixes: ['audit-'] } });
    events.push(...page);
    if (page.length < 1_000) return events;
  }
}
