import { parseUsd } from '../ledger/money';

/** A non-negative USD amount typed by people, exactly (ledger/money.ts parses); null when malformed or negative. */
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

/** Micro-USD as sent in JSON bodies and events: a string of digits, no sign, no float. */
export function parseMicroUsdString(value: unknown): bigint | null {
  return typeof value === 'string' && /^\d{1,18}$/.test(value) ? BigInt(value) : null;
}
