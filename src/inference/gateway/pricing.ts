/** A model's price in force (from the price book). */
export interface ModelPrice {
  model: string;
  inputMicroUsdPerMTok: bigint;
  outputMicroUsdPerMTok: bigint;
  perImageMicroUsd: bigint | null;
  effectiveAt: string;
  version: number;
}

const MILLION = 1_000_000n;

/** Rounded up to the next micro-dollar: a charge is never below its price. */
export function costMicroUsd(price: ModelPrice, inputTokens: number, outputTokens: number, images: number): bigint {
  const tokens = BigInt(inputTokens) * price.inputMicroUsdPerMTok + BigInt(outputTokens) * price.outputMicroUsdPerMTok;
  return (tokens + MILLION - 1n) / MILLION + BigInt(images) * (price.perImageMicroUsd ?? 0n);
}
