/**
 * The router's decisions as pure functions (no I/O, no clock, randomness passed in), so each
 * rule is unit-tested: who may take a request, which of them takes it, how long a failing node
 * rests, and which answers are worth trying elsewhere.
 */

/** A node as the registry knows it (from the events). */
export interface RoutableNode {
  nodeId: string;
  status: 'pending' | 'approved' | 'suspended' | 'retired';
  /** Models it is registered (and approved) to serve. */
  models: readonly string[];
  /** Reputation, in (0, 1]: 1 for a clean record (see reputationWeight); absent = 1. */
  trustWeight?: number;
  /** An upstream API vendor (src/upstreams) rather than a community node. */
  upstream?: boolean;
}

/** Community nodes and upstreams serving the same model: which go first ('mixed': all alike). */
export type Preference = 'community_first' | 'upstream_first' | 'mixed';

/** What all instances share through Redis about a node, read just before a pick. */
export interface LiveState {
  /** A heartbeat younger than the TTL exists. */
  alive: boolean;
  /** Models the agent last reported ready on its engine; null = not reported (trust the registration). */
  readyModels: readonly string[] | null;
  inCooldown: boolean;
  /** Requests sent to it and not finished, across every gateway instance. */
  inFlight: number;
  /** Moving average of time to first token (or whole latency), ms; null = no sample yet. */
  ewmaMs: number | null;
}

export interface Candidate {
  nodeId: string;
  inFlight: number;
  ewmaMs: number | null;
  /** Reputation in (0, 1]; absent = 1. */
  weight?: number;
  /** 0 = preferred, 1 = overflow (see Preference). */
  tier?: number;
}

/**
 * How much the router trusts a node: 1 with a clean record, halved by one incident (a failed
 * probe or a discrepancy) in the last 24 h, a third by two, … A node with incidents is picked
 * only when the clean alternative is that many times busier or slower; suspension, not this,
 * takes a node out of traffic.
 */
export function reputationWeight(recentIncidents: number): number {
  return 1 / (1 + Math.max(0, recentIncidents));
}

/**
 * Approved, live, ready for the model, not resting after errors, not already tried for this
 * request. With a preference other than 'mixed', only the preferred kind (community nodes or
 * upstreams) are candidates while any of them is; the other kind is the overflow, taken when none
 * of the preferred is live, rested and untried.
 */
export function routableCandidates(
  nodes: readonly RoutableNode[],
  states: ReadonlyMap<string, LiveState>,
  model: string,
  exclude: ReadonlySet<string>,
  preference: Preference = 'mixed',
): Candidate[] {
  const all = eligible(nodes, states, model, exclude);
  if (preference === 'mixed' || all.length < 2) return all;
  const preferUpstream = preference === 'upstream_first';
  const preferred = all.filter((c) => (c.tier === 1) === preferUpstream);
  return preferred.length > 0 ? preferred : all;
}

function eligible(nodes: readonly RoutableNode[], states: ReadonlyMap<string, LiveState>, model: string, exclude: ReadonlySet<string>): Candidate[] {
  const out: Candidate[] = [];
  for (const node of nodes) {
    if (node.status !== 'approved' || exclude.has(node.nodeId) || !node.models.includes(model)) continue;
    const state = states.get(node.nodeId);
    if (!state || !state.alive || state.inCooldown) continue;
    if (state.readyModels !== null && !state.readyModels.includes(model)) continue;
    out.push({ nodeId: node.nodeId, inFlight: state.inFlight, ewmaMs: state.ewmaMs, weight: node.trustWeight ?? 1, tier: node.upstream ? 1 : 0 });
  }
  return out;
}

/**
 * Power of two choices: two distinct candidates at random, the one with the lower expected wait
 * wins — (in flight + 1) × latency EWMA, divided by the node's reputation weight, so of two
 * equally busy nodes the reputable one wins. A node without a latency sample is scored with the
 * mean of the others (neither favoured nor starved), so new nodes get traffic and learn.
 * Two random picks rather than the global minimum: many instances deciding on slightly stale
 * counts do not all pile onto the same "best" node.
 */
export function chooseNode(candidates: readonly Candidate[], random: () => number = Math.random): Candidate | null {
  if (candidates.length === 0) return null;
  if (candidates.length === 1) return candidates[0];
  const i = Math.floor(random() * candidates.length) % candidates.length;
  let j = Math.floor(random() * (candidates.length - 1)) % (candidates.length - 1);
  if (j >= i) j++;
  const known = candidates.filter((c) => c.ewmaMs !== null);
  const prior = known.length > 0 ? known.reduce((sum, c) => sum + (c.ewmaMs as number), 0) / known.length : 1;
  const score = (c: Candidate) => ((c.inFlight + 1) * Math.max(c.ewmaMs ?? prior, 1)) / Math.min(1, Math.max(c.weight ?? 1, 1e-3));
  const a = candidates[i];
  const b = candidates[j];
  return score(b) < score(a) ? b : a;
}

/**
 * A 429's Retry-After (delta seconds or an HTTP date) in ms, capped; null when absent or unreadable.
 * The node then rests at least that long: a vendor that says "come back in 30 s" is not asked sooner.
 */
export function retryAfterMs(header: string | string[] | undefined, nowMs: number, capMs: number): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string' || value.length > 64) return null;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d{1,9}(\.\d+)?$/.test(trimmed)) ms = Math.ceil(Number(trimmed) * 1000);
  else {
    if (!/^[A-Za-z]{3}, /.test(trimmed)) return null; // an HTTP date: "Wed, 21 Oct 2015 07:28:00 GMT"
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return null;
    ms = at - nowMs;
  }
  return Math.max(0, Math.min(ms, capMs));
}

/** Answers that say "this node cannot serve now" (overloaded or broken), worth another node. Other 4xx are the client's. */
export function isFailoverStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

export const EWMA_ALPHA = 0.3;

/** The latency average after one more sample (the same formula runs atomically in Redis). */
export function nextEwma(previous: number | null, sampleMs: number, alpha = EWMA_ALPHA): number {
  return previous === null ? sampleMs : alpha * sampleMs + (1 - alpha) * previous;
}

/**
 * What to do with one attempt, decided before anything is handed to the caller: a failed attempt
 * (no answer, or a failover status) goes to another node while attempts remain. Once dispatch has
 * returned a response, its bytes may already be streaming to the client, so nothing after that is
 * ever retried (the caller reports the outcome through `finish`).
 */
export function afterAttempt(outcome: { threw: boolean; status: number | null }, attempt: number, maxAttempts: number): 'return' | 'failover' | 'give_up' {
  const failed = outcome.threw || (outcome.status !== null && isFailoverStatus(outcome.status));
  if (!failed) return 'return';
  return attempt < maxAttempts ? 'failover' : 'give_up';
}
