/** Money arrives as micro-USD strings: formatted with bigint arithmetic, never through a float. */
export function usd(microUsd: string): string {
  const micro = BigInt(microUsd);
  const negative = micro < 0n;
  const abs = negative ? -micro : micro;
  const cents = (abs + 5_000n) / 10_000n; // rounded half up to the cent
  const text = `$${(cents / 100n).toLocaleString('en-US')}.${(cents % 100n).toString().padStart(2, '0')}`;
  return negative ? `-${text}` : text;
}

export const int = (n: number) => n.toLocaleString('en-US');
export const ms = (n: number | null) => (n === null ? '—' : `${int(Math.round(n))} ms`);
export const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** A day `days` before today (UTC), YYYY-MM-DD. */
export function dayOffset(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

/** "1.25" (dollars, up to 6 decimals) → "1250000" micro-USD, by string arithmetic; null when malformed. */
export function microUsdOf(dollars: string): string | null {
  const match = /^(\d{1,12})(?:\.(\d{1,6}))?$/.exec(dollars.trim());
  if (!match) return null;
  return (BigInt(match[1]) * 1_000_000n + BigInt((match[2] ?? '').padEnd(6, '0'))).toString();
}

/** Exact dollars from micro-USD, trailing zeros trimmed to the cent ("$0.0015", "$3.25"): prices need every digit. */
export function usdExact(microUsd: string): string {
  const micro = BigInt(microUsd);
  const abs = micro < 0n ? -micro : micro;
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${micro < 0n ? '-' : ''}$${(abs / 1_000_000n).toLocaleString('en-US')}.${fraction}`;
}
