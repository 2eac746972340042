import { EventStore } from '../../platform/event-store/event-store.port';
import { MAX_EVENTS_PER_APPEND } from '../../platform/store-limits';
import { NodeTrustRecordEvent } from './node-trust-records.events';
import { nodeTrustStream } from './node-trust.events';

/** One fact for a node's `nodetrust-{nodeId}-{day}` stream, with an id derived from what it records. */
export interface TrustRecord {
  id: string;
  nodeId: string;
  /** ISO time of the fact: names the day stream and becomes `occurredAt`. */
  at: string;
  event: NodeTrustRecordEvent;
  /** `system:…`: the probe job or the gateway's counter. */
  actorId: string;
  correlationId?: string;
}

/**
 * Appends facts to their nodes' day streams by group commit (expected revision `any`), in
 * calls of at most MAX_EVENTS_PER_APPEND. Returns how many items were not stored; a repeat of
 * an id already stored counts as stored.
 */
export async function appendTrustRecords(store: EventStore, records: readonly TrustRecord[]): Promise<number> {
  let failed = 0;
  for (let i = 0; i < records.length; i += MAX_EVENTS_PER_APPEND) {
    const part = records.slice(i, i + MAX_EVENTS_PER_APPEND);
    const results = await store.appendToStreams(
      part.map((r) => ({
        stream: nodeTrustStream(r.nodeId, r.at),
        event: {
          id: r.id,
          type: r.event.type,
          data: r.event.data,
          metadata: { actorId: r.actorId, occurredAt: r.at, ...(r.correlationId ? { correlationId: r.correlationId } : {}) },
        },
      })),
    );
    failed += results.filter((r) => !r.ok).length;
  }
  return failed;
}
