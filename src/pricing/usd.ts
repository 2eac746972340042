/**
 * USD amounts typed by people ("0.15", "2", "0.000125") to integer micro-USD, exactly: the
 * digits are read as a string and never pass through a float. More than 6 decimals (below one
 * micro-USD) is refused rather than rounded.
 */
const USD_DECIMAL = /^(\d{1,12})(?:\.(\d{1,6}))?$/;

export function parseUsdToMicro(value: string): bigint | null {
  const match = USD_DECIMAL.exec(value.trim());
  if (!match) return null;
  return BigInt(match[1]) * 1_000_000n + BigInt((match[2] ?? '').padEnd(6, '0'));
}

/** 150000n → "0.15"; for display only. */
export function formatMicroUsd(micro: bigint): string {
  const sign = micro < 0n ? '-' : '';
  const abs = micro < 0n ? -micro : micro;
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${sign}${abs / 1_000_000n}${fraction ? `.${fraction}` : ''}`;
}

/** Micro-USD as sent in JSON bodies and events: a string of digits, no sign, no float. */
export function parseMicroUsdString(value: unknown): bigint | null {
  return typeof value === 'string' && /^\d{1,18}$/.test(value) ? BigInt(value) : null;
}
