import { Readable } from 'node:stream';
import { CommandContext } from '../../event-sourcing/decider';
import { Position } from '../../event-store/event-store.port';
import { RecordUsage } from '../../metering/usage-charge.decide';
import { UsageEndpoint } from '../../metering/usage.events';
import { ModelPrice } from './pricing';

/**
 * What the gateway needs from other capabilities, as small interfaces: the node router
 * (nodes), the price book (pricing) and the usage recorder (metering) are bound to them in
 * inference.module.ts, and tests can see exactly what the gateway relies on.
 */
export interface RoutedNode {
  nodeId: string;
  providerId: string;
  /** The node agent's base URL. */
  baseUrl: string;
  /** The gateway's credentials for the agent. */
  headers: Record<string, string>;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  /** Drains a response the router throws away to fail over. */
  discard(): unknown;
}

export interface NodeDispatch {
  /** Picks a node and sends; fails over to another node while no byte reached the caller. */
  dispatch(model: string, send: (node: RoutedNode, signal: AbortSignal) => Promise<UpstreamResponse>, options?: { signal?: AbortSignal }): Promise<{ node: RoutedNode; response: UpstreamResponse; attempts: number }>;
  /** Releases the node's in-flight slot and feeds its latency and error statistics. */
  finish(nodeId: string, outcome: { ok: boolean; latencyMs: number; ttftMs: number | null }): Promise<void>;
}

/** The chunks of one response as relayed, kept by reference while it streams (no copy, no parsing). */
export interface RelayedChunks {
  push(chunk: Buffer): void;
}

/**
 * After a response has ended: what was relayed, so the node's report can be checked against the
 * gateway's own count, off the hot path (nodes/trust/counting). The text stays in memory (P1).
 */
export interface RelayedOutputSink {
  /** Once per request: where to keep its chunks, or null when this model's output is not counted. */
  collector(model: string, endpoint: UsageEndpoint): RelayedChunks | null;
  relayed(output: { nodeId: string; providerId: string; model: string; format: 'sse' | 'json'; chunks: RelayedChunks; reportedOutputTokens: number }): void;
}

export interface PriceLookup {
  priceAt(model: string, at: Date): Promise<ModelPrice | null>;
}

export interface UsageRecorderPort {
  record(command: RecordUsage, context: CommandContext): Promise<{ position: Position }>;
}

export const NODE_DISPATCH = Symbol('NodeDispatch');
export const PRICE_LOOKUP = Symbol('PriceLookup');
export const USAGE_RECORDER = Symbol('UsageRecorder');
