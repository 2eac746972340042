import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { notFound, unavailable } from '../../platform/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { NodeLiveness } from './node-liveness';
import { NodeRegistry, RegistryNode } from './node-registry';
import { UpstreamRoute } from './upstream-route';
import { afterAttempt, chooseNode, LiveState, routableCandidates } from './router';

/** Where and how to send one request: the agent's URL and the gateway's credentials for it. */
export interface RoutedNode {
  nodeId: string;
  providerId: string;
  /** The node agent's URL, without a trailing slash (append `/v1/chat/completions`, …). */
  baseUrl: string;
  /** Send these to the agent; it refuses any request without them. */
  headers: Record<string, string>;
  /** Set when the node is an upstream API vendor: its model names and costs. */
  upstream?: UpstreamRoute;
}

/**
 * The least the dispatcher needs to know of an upstream answer: its status. `discard()`, when
 * present, is called on a response the dispatcher throws away to fail over, to free the socket
 * (with undici: `() => res.body.dump()`; a bare `destroy()` emits an unhandled 'error').
 */
export interface UpstreamResponse {
  status: number;
  discard?(): unknown;
  /** A 429's Retry-After in ms (Upstream sets it): the node rests at least that long. */
  retryAfterMs?: number | null;
}

export interface DispatchOptions {
  /** Nodes tried at most (default NODE_DISPATCH_MAX_ATTEMPTS). */
  maxAttempts?: number;
  /** The client went away: stop trying, no cooldown for the node. */
  signal?: AbortSignal;
  /** The first attempt's routing read, started early by `survey` (it then shares a Redis round trip with the caller's checks). */
  survey?: Survey;
}

/** The nodes that serve a model and, in flight, their live state in Redis. */
export interface Survey extends StateRead {
  model: string;
}

/** A routing read, and this instance's own in-flight count per node when the read was sent. */
interface StateRead {
  states: Promise<Map<string, LiveState>>;
  localAtRead: ReadonlyMap<string, number>;
}

export interface FinishOutcome {
  ok: boolean;
  latencyMs: number;
  ttftMs: number | null;
  /** The node asked to be left alone this long (429 Retry-After): the cooldown is at least this. */
  retryAfterMs?: number | null;
}

/** The agent's URL and the gateway's credential for it: every request to a node (probes too) carries exactly these. */
export function routedNode(node: RegistryNode): RoutedNode {
  const routed: RoutedNode = { nodeId: node.nodeId, providerId: node.providerId, baseUrl: node.baseUrl, headers: { authorization: `Bearer ${node.proxySecret}` } };
  if (node.route) routed.upstream = node.route;
  return routed;
}

/** This instance's in-flight leases per node; `finish(nodeId)` releases any one of them (they are alike). */
const LEASES_PER_NODE_MAX = 100_000;

/**
 * Picks a node for a request and fails over before the first byte. All shared state (liveness,
 * cooldowns, in-flight counts, latency averages) is in Redis, so every instance routes on the
 * same picture; the node list comes from the in-memory registry.
 */
@Injectable()
export class NodeDispatcher {
  private readonly leases = new Map<string, string[]>();
  /** Cooldowns this instance started since start (a metric). */
  cooldowns = 0;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly liveness: NodeLiveness,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Calls `send` on a chosen node. If it throws (connect error, timeout before response headers)
   * or answers ≥ 500 or 429, the node rests (cooldown) and another is tried, up to maxAttempts —
   * all before anything is returned. The first other answer is returned; from then on the caller
   * owns it and MUST call `finish(node.nodeId, …)` once when done (whatever happens), and no
   * failover happens any more.
   */
  /**
   * Starts the first routing read now: 404 when no approved node serves the model (before any
   * Redis work), else the read is issued at once and pipelines with whatever the caller sends
   * in the same tick (rate limit, reservation). Pass it to `dispatch` as `options.survey`.
   */
  async survey(model: string): Promise<Survey> {
    const nodes = (await this.registry.snapshot()).approvedByModel.get(model);
    if (!nodes || nodes.length === 0) throw notFound('model_not_found', `The model '${model}' does not exist or no node serves it.`);
    const read = this.readStates(nodes.map((n) => n.nodeId));
    read.states.catch(() => undefined); // awaited by dispatch, or dropped when the caller's checks refuse the request
    return { model, ...read };
  }

  async dispatch<R extends UpstreamResponse = UpstreamResponse>(
    model: string,
    send: (node: RoutedNode, signal: AbortSignal) => Promise<R>,
    options: DispatchOptions = {},
  ): Promise<{ node: RoutedNode; response: R; attempts: number }> {
    const snapshot = await this.registry.snapshot();
    const nodes = snapshot.approvedByModel.get(model);
    if (!nodes || nodes.length === 0) throw notFound('model_not_found', `The model '${model}' does not exist or no node serves it.`);
    const maxAttempts = Math.max(1, Math.min(options.maxAttempts ?? this.config.nodes.dispatchMaxAttempts, 10));
    const tried = new Set<string>();
    let attempts = 0;
    while (attempts < maxAttempts) {
      options.signal?.throwIfAborted();
      const read = attempts === 0 && options.survey?.model === model ? options.survey : this.readStates(nodes.filter((n) => !tried.has(n.nodeId)).map((n) => n.nodeId));
      const states = this.sinceRead(await read.states, read.localAtRead);
      const choice = chooseNode(routableCandidates(nodes, states, model, tried, snapshot.preferenceByModel.get(model)));
      if (!choice) break;
      const node = snapshot.byId.get(choice.nodeId) as RegistryNode;
      tried.add(node.nodeId);
      attempts++;
      const routed = routedNode(node);
      const leaseId = this.acquire(node.nodeId);
      const started = Date.now();
      const attempt = attemptSignal(this.config.nodes.attemptTimeoutMs, options.signal);
      let response: R | null = null;
      try {
        response = await send(routed, attempt.signal);
      } catch (err) {
        if (options.signal?.aborted) {
          // The caller gave up: not the node's fault.
          attempt.clear();
          await this.releaseLease(node.nodeId, leaseId);
          throw err;
        }
      } finally {
        attempt.clear(); // the timeout covers the wait for headers only; the caller's signal still aborts the body
      }
      const next = afterAttempt({ threw: response === null, status: response?.status ?? null }, attempts, maxAttempts);
      if (next === 'return') return { node: routed, response: response as R, attempts };
      if (response) await Promise.resolve(response.discard?.()).catch(() => undefined);
      await this.finishLease(node.nodeId, leaseId, { ok: false, latencyMs: Date.now() - started, ttftMs: null, retryAfterMs: response?.retryAfterMs ?? null });
    }
    if (attempts === 0) throw unavailable('no_capacity', `No node can take a request for '${model}' right now; retry shortly.`);
    throw unavailable('upstream_failed', `The nodes serving '${model}' failed to answer (${attempts} tried); retry shortly.`);
  }

  /** After the caller has finished with a dispatched response: releases in flight, feeds latency or backoff. */
  async finish(nodeId: string, outcome: FinishOutcome): Promise<void> {
    await this.finishLease(nodeId, this.takeLease(nodeId), outcome);
  }

  private readStates(nodeIds: string[]): StateRead {
    const localAtRead = new Map(nodeIds.map((id) => [id, this.leases.get(id)?.length ?? 0]));
    return { states: this.liveness.read(nodeIds, Date.now()), localAtRead };
  }

  /**
   * The read's in-flight counts brought up to now with what this instance itself sent or finished
   * since it sent the read (acquires and releases go out on the same connection, in order, so the
   * read counted exactly those before it). Without this, a burst of requests arriving together —
   * each sends its read as it arrives, before any has chosen — all saw the same counts and all
   * went to the one node with the better latency average.
   */
  private sinceRead(states: Map<string, LiveState>, localAtRead: ReadonlyMap<string, number>): Map<string, LiveState> {
    let now: Map<string, LiveState> | null = null;
    for (const [nodeId, state] of states) {
      const change = (this.leases.get(nodeId)?.length ?? 0) - (localAtRead.get(nodeId) ?? 0);
      if (change === 0) continue;
      now ??= new Map(states);
      now.set(nodeId, { ...state, inFlight: Math.max(0, state.inFlight + change) });
    }
    return now ?? states;
  }

  /**
   * Counts the request in flight on the node without waiting for Redis: the node is not kept
   * waiting for the bookkeeping, and the lease's release, sent later on the same connection,
   * cannot overtake it. Redis down: the count is off until the entry would have expired anyway.
   */
  private acquire(nodeId: string): string {
    const leaseId = randomUUID();
    this.liveness
      .acquire(nodeId, leaseId, Date.now())
      .catch((err: Error) => this.logger.warn({ nodeId, err: { name: err.name, message: err.message } }, 'could not count a request in flight'));
    let list = this.leases.get(nodeId);
    if (!list) this.leases.set(nodeId, (list = []));
    if (list.length >= LEASES_PER_NODE_MAX) list.shift(); // a caller that never calls finish(); Redis expires its entry anyway
    list.push(leaseId);
    return leaseId;
  }

  private takeLease(nodeId: string): string | null {
    const list = this.leases.get(nodeId);
    const leaseId = list?.pop() ?? null;
    if (list && list.length === 0) this.leases.delete(nodeId);
    return leaseId;
  }

  private dropLease(nodeId: string, leaseId: string): void {
    const list = this.leases.get(nodeId);
    if (!list) return;
    const i = list.lastIndexOf(leaseId);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.leases.delete(nodeId);
  }

  private async releaseLease(nodeId: string, leaseId: string): Promise<void> {
    this.dropLease(nodeId, leaseId);
    await this.liveness.release(nodeId, leaseId).catch(() => undefined);
  }

  private async finishLease(nodeId: string, leaseId: string | null, outcome: FinishOutcome): Promise<void> {
    if (leaseId) this.dropLease(nodeId, leaseId);
    const { cooldownBaseMs, cooldownMaxMs } = this.config.nodes;
    try {
      if (outcome.ok) {
        await this.liveness.recordSuccess(nodeId, leaseId, outcome.ttftMs ?? outcome.latencyMs);
      } else {
        // Failures are remembered for a while after the longest cooldown, so a flapping node keeps backing off.
        const rest = await this.liveness.recordFailure(nodeId, leaseId, {
          baseMs: cooldownBaseMs,
          maxMs: cooldownMaxMs,
          memoryMs: cooldownMaxMs * 4,
          retryAfterMs: outcome.retryAfterMs ?? null,
        });
        if (rest > 0) this.cooldowns++;
      }
    } catch (err) {
      // Redis down: the in-flight entry expires by itself; routing already fails closed on reads.
      this.logger.warn({ nodeId, err: { name: (err as Error).name, message: (err as Error).message } }, 'could not record a node outcome');
    }
  }
}

/** Aborts on the caller's signal, or after `timeoutMs` until cleared (response headers arrived). */
function attemptSignal(timeoutMs: number, caller: AbortSignal | undefined): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no response headers within ${timeoutMs} ms`)), timeoutMs);
  timer.unref();
  if (caller) {
    if (caller.aborted) controller.abort(caller.reason);
    else caller.addEventListener('abort', () => controller.abort(caller.reason), { once: true });
  }
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}
