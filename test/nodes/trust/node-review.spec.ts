import { discrepanciesSince, reviewNode } from '../../../src/nodes/trust/reputation/node-review';
import { reputationWeight, chooseNode } from '../../../src/nodes/routing/router';

const rule = { probeWindow: 5, probeFailuresToSuspend: 2, discrepancyWindowMs: 3_600_000, discrepanciesToSuspend: 3 };
const T = Date.parse('2026-12-04T10:00:00Z');

describe('node review: when a node is suspended, and what the flagged period is', () => {
  it('probe failures within the last window suspend; older ones and ones before the latest approval do not count', () => {
    const probes: [number, number][] = [
      [T + 1, 0],
      [T + 2, 0],
      [T + 3, 1],
      [T + 4, 1],
      [T + 5, 1],
      [T + 6, 1],
      [T + 7, 0],
    ];
    expect(reviewNode({ approvedAtMs: T, recentProbes: probes, discrepancies: [] }, rule)).toEqual({ suspend: false }); // only one failure in the last 5
    expect(reviewNode({ approvedAtMs: T, recentProbes: [...probes, [T + 8, 0]], discrepancies: [] }, rule)).toEqual({
      suspend: true,
      reason: 'Suspended automatically: probes: 2 of the last 5 answers differed from the reference.',
      fromMs: T + 7,
    });
    expect(reviewNode({ approvedAtMs: T + 7, recentProbes: [...probes, [T + 8, 0]], discrepancies: [] }, rule)).toEqual({ suspend: false }); // re-approved after the first
  });

  it('discrepancies of any kind add up; the reason lists them, the period starts at the first', () => {
    const decision = reviewNode(
      {
        approvedAtMs: T,
        recentProbes: [],
        discrepancies: [
          { kind: 'token_count_drift', count: 1, firstAtMs: T + 50 },
          { kind: 'output_tokens_over_bound', count: 2, firstAtMs: T + 10 },
        ],
      },
      rule,
    );
    expect(decision).toEqual({ suspend: true, reason: 'Suspended automatically: discrepancies: 3 in 1 h (output_tokens_over_bound 2, token_count_drift 1).', fromMs: T + 10 });
    expect(reviewNode({ approvedAtMs: T, recentProbes: [], discrepancies: [{ kind: 'malformed_usage', count: 2, firstAtMs: T }] }, rule)).toEqual({ suspend: false });
  });

  it('discrepancies count from the window start, never before the latest approval', () => {
    expect(discrepanciesSince(T, T + 10 * 3_600_000, rule)).toBe(T + 9 * 3_600_000);
    expect(discrepanciesSince(T, T + 60_000, rule)).toBe(T);
  });
});

describe('routing prefers reputable nodes', () => {
  it('weight 1 for a clean record, lower with each recent incident', () => {
    expect([0, 1, 3].map(reputationWeight)).toEqual([1, 0.5, 0.25]);
  });

  it('of two equally busy, equally fast nodes, the one with incidents loses every comparison', () => {
    let clean = 0;
    const candidates = [
      { nodeId: 'clean', inFlight: 2, ewmaMs: 100, weight: 1 },
      { nodeId: 'flagged', inFlight: 2, ewmaMs: 100, weight: reputationWeight(2) },
    ];
    for (let i = 0; i < 1_000; i++) if (chooseNode(candidates)?.nodeId === 'clean') clean++;
    expect(clean).toBe(1_000);
    // …but it still takes traffic when the clean one is more than three times as busy (at exactly three
    // times the scores tie and either may win).
    for (const random of [() => 0, () => 0.99]) expect(chooseNode([{ nodeId: 'clean', inFlight: 9, ewmaMs: 100, weight: 1 }, candidates[1]], random)?.nodeId).toBe('flagged');
  });
});
