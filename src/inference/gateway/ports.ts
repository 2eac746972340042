import { Readable } from 'node:stream';
import { CommandContext } from '../../platform/event-sourcing/decider';
import { MultiAppendItem, Position } from '../../platform/event-store/event-store.port';
import { RecordUsage } from '../../metering/usage-charge.decide';
import { UpstreamRoute } from '../../nodes/routing/upstream-route';
import { ChargeIntent } from '../../metering/usage-intents';
import { UsageEndpoint, UsageStatus } from '../../metering/usage.events';
import type { ModelPrice } from '../../pricing/price-book';
import type { RawUsage } from '../../openai/sse-meter';

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
  /** The gateway's credentials for the agent (for an upstream vendor: its API key). */
  headers: Record<string, string>;
  /** Set when the node is an upstream API vendor (its model names and costs). */
  upstream?: UpstreamRoute;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  /** Drains a response the router throws away to fail over. */
  discard(): unknown;
  /** A 429's Retry-After, in ms: the router rests the node at least that long. */
  retryAfterMs?: number | null;
}

/** A routing read started ahead of `dispatch` (see NodeDispatcher.survey). */
export interface RouteSurvey {
  model: string;
  states: Promise<unknown>;
}

export interface NodeDispatch {
  /** 404 when no node serves the model; else starts the first routing read now (it pipelines with the caller's Redis calls). */
  survey(model: string): Promise<RouteSurvey>;
  /** Picks a node and sends; fails over to another node while no byte reached the caller. */
  dispatch(
    model: string,
    send: (node: RoutedNode, signal: AbortSignal) => Promise<UpstreamResponse>,
    options?: { signal?: AbortSignal; survey?: RouteSurvey },
  ): Promise<{ node: RoutedNode; response: UpstreamResponse; attempts: number }>;
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
  /** Stores the charge durably, with `alongside` (its node's discrepancy events) in the same call. */
  record(command: RecordUsage, context: CommandContext, alongside?: readonly MultiAppendItem[]): Promise<{ position: Position }>;
}

/** Durable intents to charge (metering's UsageIntents): what lets recovery charge a stream whose own charge was never stored. */
export interface ChargeIntentsPort {
  /** true once durable, false if withdrawn before it was sent; the stream does not wait for it. */
  open(intent: ChargeIntent, openedAt: Date, dueAt: Date): Promise<boolean>;
  /** The charge is being stored: drops the intent if it was not sent yet. */
  withdraw(requestId: string): boolean;
  close(requestId: string): void;
  finalize(intent: ChargeIntent, openedAt: Date): Promise<void>;
}

/**
 * Sees what the gateway relays to a client, after the fact, e.g. to count the output tokens itself
 * and compare them with what the node reported. `begin` runs on the hot path for every 2xx
 * response: return null when not interested (no further cost). A tap gets the bytes as relayed
 * (SSE events, the usage chunk only if the client asked for it, never `[DONE]`; or the JSON
 * body) and, once the charge is decided, the outcome. It must keep no text beyond counting it
 * (P1), and do any real work off the request's path (it is called synchronously).
 */
export interface RelayObserver {
  begin(request: RelayedRequest): RelayTap | null;
}

export interface RelayedRequest {
  requestId: string;
  nodeId: string;
  providerId: string;
  model: string;
  endpoint: UsageEndpoint;
  stream: boolean;
}

export interface RelayTap {
  relayed(bytes: Buffer): void;
  end(outcome: RelayOutcome): void;
}

export interface RelayOutcome {
  status: UsageStatus;
  /** What the node reported, unchecked (null: no report). */
  reported: RawUsage | null;
  /** What was charged, after the bounds. */
  charged: { inputTokens: number; outputTokens: number; images: number; costMicroUsd: bigint };
  estimated: boolean;
}

/** The default: nobody watches. */
export const NO_RELAY_OBSERVER: RelayObserver = { begin: () => null };

export const NODE_DISPATCH = Symbol('NodeDispatch');
export const PRICE_LOOKUP = Symbol('PriceLookup');
export const USAGE_RECORDER = Symbol('UsageRecorder');
export const CHARGE_INTENTS = Symbol('ChargeIntents');
export const RELAY_OBSERVER = Symbol('RelayObserver');
