import { MultiAppendItem } from '../platform/event-store/event-store.port';
import { DiscrepancyKind, NodeTrustEvent, nodeTrustStream } from '../nodes/trust/node-trust.events';
import { RecordUsage } from './usage-charge.decide';
import { derivedEventId } from '../platform/event-sourcing/derived-event-id';

/** One way a node's report broke what the gateway knows (metadata only: counts, never text). */
export interface UsageDiscrepancy {
  kind: DiscrepancyKind;
  /** Decimal, or for a malformed report `field:what-it-was` (a number's value or a JSON type, never a string's content). */
  reported: string;
  bound: string;
}

/** One per request and kind: a retried append, or recovery after a crash, stores it once. */
export const discrepancyEventId = (requestId: string, kind: DiscrepancyKind) => derivedEventId(`node-usage-discrepancy:${requestId}:${kind}`);

/**
 * The NodeUsageDiscrepancyRecorded events of a charge, for the same group commit as the charge
 * itself (stream nodetrust-{nodeId}-{day of the charge}). None without a node.
 */
export function discrepancyItems(charge: RecordUsage, discrepancies: readonly UsageDiscrepancy[]): MultiAppendItem[] {
  if (charge.nodeId === null || charge.providerId === null) return [];
  const { nodeId, providerId } = charge;
  return discrepancies.map((d) => {
    const event: NodeTrustEvent = {
      type: 'NodeUsageDiscrepancyRecorded',
      data: { nodeId, providerId, requestId: charge.requestId, model: charge.model, kind: d.kind, reported: d.reported, bound: d.bound, recordedAt: charge.at },
    };
    return {
      stream: nodeTrustStream(nodeId, charge.at),
      event: {
        id: discrepancyEventId(charge.requestId, d.kind),
        type: event.type,
        data: event.data,
        metadata: { actorId: 'system:gateway', occurredAt: charge.at, correlationId: charge.requestId },
      },
    };
  });
}
