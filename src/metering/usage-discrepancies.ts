import type { DiscrepancyKind } from '../nodes/trust/node-trust.events';
import { MultiAppendItem } from '../platform/event-store/event-store.port';
import { RecordUsage } from './usage-charge.decide';

/** One way a node's report broke what the gateway knows (metadata only: counts, never text). */
export interface UsageDiscrepancy {
  kind: DiscrepancyKind;
  /** Decimal, or for a malformed report `field:what-it-was` (a number's value or a JSON type, never a string's content). */
  reported: string;
  bound: string;
}

/**
 * The events that record a charge's discrepancies in the node's trust stream, for the same group
 * commit as the charge. Those events are the nodes capability's, so it provides this function
 * (nodes/trust/usage-discrepancy-events.ts, through NodesPortsModule) and metering never imports nodes/.
 */
export type DiscrepancyEvents = (charge: RecordUsage, discrepancies: readonly UsageDiscrepancy[]) => MultiAppendItem[];
export const DISCREPANCY_EVENTS = Symbol('DiscrepancyEvents');
