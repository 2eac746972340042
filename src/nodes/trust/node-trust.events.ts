import { DomainEvent } from '../../platform/event-sourcing/decider';

/**
 * What the gateway caught a node saying that it cannot have done. Metadata only (P1): counts and
 * amounts, never text. `reported` is what the node claimed (or the raw value's type for a
 * malformed report), `bound` what the gateway itself knows was possible; both are decimal strings.
 */
export type DiscrepancyKind =
  | 'input_tokens_over_bound'
  | 'output_tokens_over_bound'
  | 'images_over_bound'
  | 'cost_over_reservation'
  | 'malformed_usage'
  /** The gateway's own count of the relayed output disagrees with the report beyond the tolerance. */
  | 'token_count_drift';

/**
 * Stream `nodetrust-{nodeId}-{yyyy-mm-dd}` (UTC day): a node's honesty record, closed per day
 * like usage streams, so `node-{nodeId}` (the lifecycle the node decider folds) stays short
 * however much traffic a node serves. Appended with expected revision `any` (facts, not decisions),
 * with event ids derived from what they record, so a retried append is a no-op.
 */
export type NodeTrustEvent = DomainEvent<
  'NodeUsageDiscrepancyRecorded',
  {
    nodeId: string;
    providerId: string;
    requestId: string;
    model: string;
    kind: DiscrepancyKind;
    reported: string;
    bound: string;
    recordedAt: string;
  }
>;

export const NODE_TRUST_STREAM_PREFIX = 'nodetrust-';

export const nodeTrustStream = (nodeId: string, at: string) => `${NODE_TRUST_STREAM_PREFIX}${nodeId}-${at.slice(0, 10)}`;
