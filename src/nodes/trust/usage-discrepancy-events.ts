import type { RecordUsage } from '../../metering/usage-charge.decide';
import type { UsageDiscrepancy } from '../../metering/usage-discrepancies';
import { derivedEventId } from '../../platform/event-sourcing/derived-event-id';
import { MultiAppendItem } from '../../platform/event-store/event-store.port';
import { DiscrepancyKind, NodeTrustEvent, nodeTrustStream } from './node-trust.events';

/** One per request and kind: a retried append, or recovery after a crash, stores it once. */
export const discrepancyEventId = (requestId: string, kind: DiscrepancyKind) => derivedEventId(`node-usage-discrepancy:${requestId}:${kind}`);

/**
 * The NodeUsageDiscrepancyRecorded events of a charge, for the same group commit as the charge
 * itself (stream nodetrust-{nodeId}-{day of the charge}). None without a node. Here with the
 * node's trust events; metering (charge recovery) gets it as DISCREPANCY_EVENTS (nodes-ports.module.ts).
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
