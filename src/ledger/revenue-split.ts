import { BPS, RevenueSplitRules } from '../platform/config/revenue-split-settings';

export function providerShareBps(rules: RevenueSplitRules, model: string, nodeId: string | null): number {
  if (nodeId !== null && Object.hasOwn(rules.byNode, nodeId)) return rules.byNode[nodeId];
  if (Object.hasOwn(rules.byModel, model)) return rules.byModel[model];
  return rules.defaultProviderShareBps;
}

/** Rounds the provider's share down; the platform keeps the remainder, so the parts always sum to the cost. */
export function splitCharge(costMicroUsd: bigint, shareBps: number): { providerMicroUsd: bigint; platformMicroUsd: bigint } {
  if (!Number.isInteger(shareBps) || shareBps < 0 || shareBps > BPS) throw new Error(`bad provider share ${shareBps}`);
  const providerMicroUsd = (costMicroUsd * BigInt(shareBps)) / BigInt(BPS);
  return { providerMicroUsd, platformMicroUsd: costMicroUsd - providerMicroUsd };
}
