/** Basis points of a charge that go to the provider who served it (10,000 = all of it). */
export interface RevenueSplitRules {
  defaultProviderShareBps: number;
  /** Per-model and per-node overrides; a node's rule wins over its model's. */
  byModel: Record<string, number>;
  byNode: Record<string, number>;
}

export const BPS = 10_000;

/** Parses `model:llama-3-8b=8000,node:abc123=7500` (config); throws with the offending entry. */
export function parseShareOverrides(text: string): { byModel: Record<string, number>; byNode: Record<string, number> } {
  const byModel: Record<string, number> = {};
  const byNode: Record<string, number> = {};
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = /^(model|node):([^=\s]{1,200})=(\d{1,5})$/.exec(entry);
    const bps = match ? Number(match[3]) : NaN;
    if (!match || bps > BPS) throw new Error(`"${entry}" is not model:<id>=<bps> or node:<id>=<bps> with bps 0..${BPS}`);
    (match[1] === 'model' ? byModel : byNode)[match[2]] = bps;
  }
  return { byModel, byNode };
}
