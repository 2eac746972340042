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
