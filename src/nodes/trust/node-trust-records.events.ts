import { DomainEvent } from '../../platform/event-sourcing/decider';
import { derivedEventId } from '../../platform/event-sourcing/derived-event-id';
import { Posting } from '../../ledger/postings';
import { NodeTrustEvent } from './node-trust.events';

/** What the probe's answer was compared with: the platform's reference node, or the majority of the nodes probed with it. */
export type ProbeReference = 'reference_node' | 'majority';

/** Why a probe got no answer to judge (a liveness matter, not a lie: it feeds the error rate only). */
export type ProbeUnansweredReason = 'timeout' | 'http_status' | 'connection' | 'unreadable';

/**
 * A judged probe. Metadata only: never the prompt or the answer (P1 applies to platform-written
 * text too, so nothing a node could replay is kept). The postings charge the probe's list price
 * to `platform:probe_expense` against `platform:probe_allowance`: no developer pays, the node earns
 * nothing (docs/trusting-nodes.md, "Probes"). `postings` is empty when the probe cost nothing.
 */
type JudgedProbe = {
  nodeId: string;
  providerId: string;
  model: string;
  probeId: string;
  reference: ProbeReference;
  /** Leading words the answer shared with the reference (capped at the agreement setting + 1). */
  agreedWords: number;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
  costMicroUsd: string;
  probedAt: string;
  postings: Posting[];
};

/**
 * Stream `nodetrust-{nodeId}-{yyyy-mm-dd}`, beside the gateway's discrepancies: what probes and
 * the gateway's own count found. Appended with expected revision `any` and derived event ids.
 */
export type NodeTrustRecordEvent =
  | NodeTrustEvent
  | DomainEvent<'NodeProbePassed', JudgedProbe>
  | DomainEvent<'NodeProbeFailed', JudgedProbe>
  | DomainEvent<
      'NodeProbeUnanswered',
      {
        nodeId: string;
        providerId: string;
        model: string;
        probeId: string;
        reason: ProbeUnansweredReason;
        /** The node's HTTP status when it answered with an error. */
        status: number | null;
        latencyMs: number;
        probedAt: string;
      }
    >
  /**
   * One counting window of one gateway instance: output tokens the node reported for completed
   * responses of `model`, and what the gateway counted in the text it relayed for them.
   */
  | DomainEvent<
      'NodeOutputCounted',
      {
        nodeId: string;
        providerId: string;
        model: string;
        windowId: string;
        requests: number;
        reportedTokens: number;
        countedTokens: number;
        from: string;
        to: string;
      }
    >;

export type NodeTrustRecordType = NodeTrustRecordEvent['type'];

export const probeEventId = (probeId: string, nodeId: string) => derivedEventId(`node-probe:${probeId}:${nodeId}`);
export const countEventId = (windowId: string, what: 'counted' | 'drift') => derivedEventId(`node-output-${what}:${windowId}`);
