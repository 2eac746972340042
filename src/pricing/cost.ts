import type { ModelPrice } from './price-book';

const MILLION = 1_000_000n;

/** Rounded up to the next micro-dollar: a charge is never below its price. */
export function costMicroUsd(price: ModelPrice, inputTokens: number, outputTokens: number, images: number): bigint {
  const tokens = BigInt(inputTokens) * price.inputMicroUsdPerMTok + BigInt(outputTokens) * price.outputMicroUsdPerMTok;
  return (tokens + MILLION - 1n) / MILLION + BigInt(images) * (price.perImageMicroUsd ?? 0n);
}
