import { DomainEvent } from '../platform/event-sourcing/decider';
import { derivedEventId } from '../platform/event-sourcing/derived-event-id';
import { Posting } from '../ledger/postings';

export type UsageStatus = 'completed' | 'client_disconnected' | 'upstream_failed';
export type UsageEndpoint = 'chat.completions' | 'completions' | 'embeddings' | 'images.generations';

/** What one request was, as the charge command and the UsageRecorded event both carry it (metadata only, P1). */
export type UsageFacts = {
  requestId: string;
  accountId: string;
  keyId: string;
  model: string;
  endpoint: UsageEndpoint;
  nodeId: string | null;
  providerId: string | null;
  status: UsageStatus;
  inputTokens: number;
  outputTokens: number;
  images: number;
  /** True when the node sent no usage and the gateway counted what it delivered. */
  estimated: boolean;
  ttftMs: number | null;
  latencyMs: number;
};

/**
 * Stream `usage-{accountId}-{yyyy-mm-dd}` (UTC day): one event per metered request, metadata
 * only — never prompt or completion text (P1). A day's stream closes by itself when the day
 * ends, so no stream grows without bound and a busy key never contends with purchases.
 * The event is the charge: its postings debit the developer and credit the provider's share
 * and the platform's revenue. Its id derives from the request id, so a retried append is a no-op.
 */
export type UsageEvent = DomainEvent<
  'UsageRecorded',
  UsageFacts & {
    costMicroUsd: string;
    providerShareMicroUsd: string;
    /** The Redis hold that reserved the credits (the request id). */
    holdId: string;
    /** What the hold reserved: the cost never exceeds it (absent on charges recorded before it was kept). */
    reservedMicroUsd?: string;
    /** Served by an upstream API vendor (`up_…`, also the nodeId): its cost for this request, owed to `vendor:{id}`. */
    vendorId?: string;
    vendorCostMicroUsd?: string;
    /**
     * Set when recovery, not the request itself, stored the charge (docs/trusting-nodes.md, "Recovery"):
     * 'final' from the figures the gateway kept when it could not store the charge at once, 'bound'
     * from the request's bounds when the process died before it knew them.
     */
    recovered?: UsageRecovery;
    recordedAt: string;
    postings: Posting[];
  }
>;

export type UsageRecovery = 'final' | 'bound';

export const USAGE_STREAM_PREFIX = 'usage-';

export function usageStream(accountId: string, at: string): string {
  return `${USAGE_STREAM_PREFIX}${accountId}-${at.slice(0, 10)}`;
}

/** A UUID derived from the request id: the event store then makes a repeated append idempotent. */
export function usageEventId(requestId: string): string {
  return derivedEventId(`usage-recorded:${requestId}`);
}
