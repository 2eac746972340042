import { parseUsd } from '../platform/money';

/** A non-negative USD amount typed by people, exactly (platform/money.ts parses); null when malformed or negative. */
export function parseUsdToMicro(value: string): bigint | null {
  try {
    const micro = parseUsd(value);
    return micro < 0n ? null : micro;
  } catch {
    return null;
  }
}

/** 150000n → "0.15"; for display only. */
export function formatMicroUsd(micro: bigint): string {
  const sign = micro < 0n ? '-' : '';
  const abs = micro < 0n ? -micro : micro;
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${sign}${abs / 1_000_000n}${fraction ? `.${fraction}` : ''}`;
}
