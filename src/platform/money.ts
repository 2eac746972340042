import { invalid } from './errors/domain-error';

/** Money is integer micro-USD (1 USD = 1,000,000). Never a float anywhere on the way in or out. */
export const MICRO_PER_USD = 1_000_000n;

/**
 * Largest amount of a single money command. It also keeps every balance well inside the 2^53
 * range Redis's Lua numbers hold exactly (see spending/credit-holds.lua.ts).
 */
export const MAX_AMOUNT_MICRO_USD = 1_000_000n * MICRO_PER_USD; // 1,000,000 USD

/** Up to 12 integer digits (prices per million tokens can be large); limits on amounts are checked apart. */
const USD_PATTERN = /^(-)?(\d{1,12})(?:\.(\d{1,6}))?$/;

/** "12.5" → 12_500_000n. Up to 6 decimals; anything else is refused rather than rounded. */
export function parseUsd(text: string, field = 'amountUsd'): bigint {
  const match = USD_PATTERN.exec(typeof text === 'string' ? text.trim() : '');
  if (!match) throw invalid('invalid_amount', `${field} must be a decimal USD amount with at most 6 decimals, e.g. "12.50".`);
  const [, minus, whole, fraction = ''] = match;
  const micro = BigInt(whole) * MICRO_PER_USD + BigInt(fraction.padEnd(6, '0'));
  return minus ? -micro : micro;
}

/** 12_500_000n → "12.50"; keeps every significant micro-dollar ("0.000001"). */
export function formatUsd(micro: bigint): string {
  const sign = micro < 0n ? '-' : '';
  const abs = micro < 0n ? -micro : micro;
  const fraction = (abs % MICRO_PER_USD)
    .toString()
    .padStart(6, '0')
    .replace(/0{1,4}$/, '');
  return `${sign}${abs / MICRO_PER_USD}.${fraction.padEnd(2, '0')}`;
}

/** A positive amount within the per-command limit. */
export function checkPositiveAmount(micro: bigint, field = 'amount'): bigint {
  if (micro <= 0n) throw invalid('invalid_amount', `${field} must be more than zero.`);
  if (micro > MAX_AMOUNT_MICRO_USD) throw invalid('invalid_amount', `${field} must be at most ${formatUsd(MAX_AMOUNT_MICRO_USD)} USD.`);
  return micro;
}

/** Parses a decimal string of micro-USD from an event (programmer error if malformed). */
export function microFromString(value: string): bigint {
  if (!/^-?\d{1,19}$/.test(value)) throw new Error(`not a micro-USD amount: ${JSON.stringify(value)}`);
  return BigInt(value);
}
