/** One node-model's counting window on one gateway instance. */
export interface CountWindow {
  requests: number;
  reportedTokens: number;
  countedTokens: number;
}

export interface DriftRule {
  /** Fewer counted tokens than this: too little to judge (still recorded). */
  minTokens: number;
  /** Allowed |reported − counted| as basis points of counted… */
  toleranceBps: number;
  /** …plus this many tokens per request (end-of-sequence and tool markers a node counts but never sends as text). */
  slackPerRequest: number;
}

/**
 * Drift: the node's reports and the gateway's count of the same relayed text disagree by more
 * than tokenizer noise. Judged per window, not per request, so a short answer's rounding does not
 * count and a systematic lie of a few percent does.
 */
export function drifts(w: CountWindow, rule: DriftRule): boolean {
  if (w.countedTokens < rule.minTokens) return false;
  const allowed = (w.countedTokens * rule.toleranceBps) / 10_000 + rule.slackPerRequest * w.requests;
  return Math.abs(w.reportedTokens - w.countedTokens) > allowed;
}

/** reported ÷ counted, 4 decimals; null before anything was counted. */
export function reportedToCounted(reported: number | bigint, counted: number | bigint): number | null {
  const c = Number(counted);
  return c > 0 ? Math.round((Number(reported) / c) * 10_000) / 10_000 : null;
}
