import { afterAttempt, Candidate, chooseNode, isFailoverStatus, LiveState, nextEwma, routableCandidates, RoutableNode } from '../../src/nodes/routing/router';

const live = (over: Partial<LiveState> = {}): LiveState => ({ alive: true, readyModels: ['m'], inCooldown: false, inFlight: 0, ewmaMs: 100, ...over });
const node = (nodeId: string, over: Partial<RoutableNode> = {}): RoutableNode => ({ nodeId, status: 'approved', models: ['m'], ...over });

/** A seeded generator, so choices are reproducible. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

describe('router: candidates', () => {
  it('keeps approved, live, ready, rested nodes serving the model that were not tried yet', () => {
    const nodes = [
      node('ok'),
      node('pending', { status: 'pending' }),
      node('suspended', { status: 'suspended' }),
      node('other-model', { models: ['x'] }),
      node('dead'),
      node('not-ready'),
      node('resting'),
      node('tried'),
      node('unreported'),
      node('no-state'),
    ];
    const states = new Map<string, LiveState>([
      ['ok', live()],
      ['pending', live()],
      ['suspended', live()],
      ['other-model', live({ readyModels: ['x'] })],
      ['dead', live({ alive: false })],
      ['not-ready', live({ readyModels: ['other'] })],
      ['resting', live({ inCooldown: true })],
      ['tried', live()],
      ['unreported', live({ readyModels: null })],
    ]);
    expect(routableCandidates(nodes, states, 'm', new Set(['tried'])).map((c) => c.nodeId)).toEqual(['ok', 'unreported']);
  });
});

describe('router: power of two choices', () => {
  const c = (nodeId: string, inFlight: number, ewmaMs: number | null): Candidate => ({ nodeId, inFlight, ewmaMs });

  it('picks nothing from nothing, and the only one from one', () => {
    expect(chooseNode([])).toBeNull();
    expect(chooseNode([c('a', 99, 9_999)])?.nodeId).toBe('a');
  });

  it('of two, picks the lower (in flight + 1) × latency, whichever order they are drawn in', () => {
    const fast = c('fast', 0, 100);
    const slow = c('slow', 0, 300);
    for (const r of [0, 0.49, 0.5, 0.99]) expect(chooseNode([fast, slow], () => r)?.nodeId).toBe('fast');
    // Load outweighs latency: 3 in flight at 100 ms (400) loses to 0 at 300 ms (300).
    expect(chooseNode([c('busy', 3, 100), slow], () => 0.1)?.nodeId).toBe('slow');
  });

  it('scores a node with no latency sample at the mean of the others (new nodes get traffic)', () => {
    const fresh = c('fresh', 0, null);
    expect(chooseNode([c('a', 1, 100), fresh], () => 0)?.nodeId).toBe('fresh'); // 2×100 vs 1×100
    expect(chooseNode([c('a', 0, 100), c('b', 0, null)], () => 0)?.nodeId).toBe('a'); // tie: the first drawn
  });

  it('spreads equal nodes evenly and never picks the worst of many', () => {
    const random = seeded(42);
    const equal = ['a', 'b', 'c', 'd'].map((id) => c(id, 0, 100));
    const counts = new Map<string, number>();
    for (let i = 0; i < 4_000; i++) {
      const id = chooseNode(equal, random)!.nodeId;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const id of ['a', 'b', 'c', 'd']) expect(counts.get(id)).toBeGreaterThan(800);
    const mixed = [c('w', 9, 500), c('x', 0, 100), c('y', 1, 100), c('z', 2, 100)];
    for (let i = 0; i < 1_000; i++) expect(chooseNode(mixed, random)!.nodeId).not.toBe('w');
  });
});

describe('router: cooldown, failover, latency', () => {
  it('fails over on no answer, 5xx and 429, within the attempts; other answers are returned as they are', () => {
    expect([500, 502, 503, 504, 429].every(isFailoverStatus)).toBe(true);
    expect([200, 400, 401, 404, 413, 422].some(isFailoverStatus)).toBe(false);
    expect(afterAttempt({ threw: true, status: null }, 1, 3)).toBe('failover');
    expect(afterAttempt({ threw: false, status: 503 }, 2, 3)).toBe('failover');
    expect(afterAttempt({ threw: false, status: 503 }, 3, 3)).toBe('give_up');
    expect(afterAttempt({ threw: false, status: 200 }, 1, 3)).toBe('return');
    expect(afterAttempt({ threw: false, status: 400 }, 1, 3)).toBe('return');
  });

  it('averages latency with weight 0.3 on the newest sample', () => {
    expect(nextEwma(null, 200)).toBe(200);
    expect(nextEwma(100, 200)).toBeCloseTo(130);
  });
});
