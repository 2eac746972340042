import { DiscrepancyKind } from '../node-trust.events';

export interface ReviewRule {
  probeWindow: number;
  probeFailuresToSuspend: number;
  discrepancyWindowMs: number;
  discrepanciesToSuspend: number;
}

/** What the read models say about one approved node, since its latest approval. */
export interface NodeRecord {
  /** Evidence before the latest approval was already judged by the admin who approved it. */
  approvedAtMs: number;
  /** Judged probes, oldest first: [time ms, 1 passed | 0 failed]. */
  recentProbes: readonly (readonly [number, number])[];
  /** Discrepancies recorded after discrepanciesSince(…), per kind. */
  discrepancies: readonly { kind: DiscrepancyKind | string; count: number; firstAtMs: number }[];
}

/** Discrepancies count from here: the window, but never before the latest approval. */
export function discrepanciesSince(approvedAtMs: number, nowMs: number, rule: ReviewRule): number {
  return Math.max(approvedAtMs, nowMs - rule.discrepancyWindowMs);
}

export type ReviewDecision =
  | { suspend: false }
  /** `fromMs`: the first piece of evidence counted — the flagged period starts there. */
  | { suspend: true; reason: string; fromMs: number };

/**
 * The thresholds, as a pure function (no clock, no I/O). A node is suspended when, since
 * its latest approval, at least `probeFailuresToSuspend` of its last `probeWindow` judged probes
 * differed from the reference, or it accumulated `discrepanciesToSuspend` discrepancies (any kind,
 * the gateway's and the count's) within the window. The reason says which, with the figures.
 */
export function reviewNode(record: NodeRecord, rule: ReviewRule): ReviewDecision {
  const reasons: string[] = [];
  let fromMs = Number.POSITIVE_INFINITY;
  const probes = record.recentProbes.filter(([at]) => at > record.approvedAtMs).slice(-rule.probeWindow);
  const failures = probes.filter(([, passed]) => passed === 0);
  if (failures.length >= rule.probeFailuresToSuspend) {
    reasons.push(`probes: ${failures.length} of the last ${probes.length} answers differed from the reference`);
    fromMs = Math.min(fromMs, failures[0][0]);
  }
  const counted = record.discrepancies.filter((d) => d.count > 0);
  const total = counted.reduce((n, d) => n + d.count, 0);
  if (total >= rule.discrepanciesToSuspend) {
    const kinds = [...counted].sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind)).map((d) => `${d.kind} ${d.count}`);
    reasons.push(`discrepancies: ${total} in ${Math.round(rule.discrepancyWindowMs / 3_600_000)} h (${kinds.join(', ')})`);
    fromMs = Math.min(fromMs, ...counted.map((d) => d.firstAtMs));
  }
  if (reasons.length === 0) return { suspend: false };
  return { suspend: true, reason: `Suspended automatically: ${reasons.join('; ')}.`, fromMs };
}
