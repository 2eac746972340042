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
}

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

/** Approved, live, ready for the model, not resting after errors, not already tried for this request. */
export function routableCandidates(nodes: readonly RoutableNode[], states: ReadonlyMap<string, LiveState>, model: string, exclude: ReadonlySet<string>): Candidate[] {
  const out: Candidate[] = [];
  for (const node of nodes) {
    if (node.status !== 'approved' || exclude.has(node.nodeId) || !node.models.includes(model)) continue;
    const state = states.get(node.nodeId);
    if (!state || !state.alive || state.inCooldown) continue;
    if (state.readyModels !== null && !state.readyModels.includes(model)) continue;
    out.push({ nodeId: node.nodeId, inFlight: state.inFlight, ewmaMs: state.ewmaMs, weight: node.trustWeight ?? 1 });
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

/** Exponential backoff: base after the first consecutive failure, doubling, capped. */
export function cooldownMs(consecutiveFailures: number, baseMs: number, maxMs: number): number {
  if (consecutiveFailures < 1) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.min(consecutiveFailures - 1, 30));
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
