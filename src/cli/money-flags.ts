import { parseUsd } from '../platform/money';
import { UsageError } from './flags';

/** Checked before anything connects, like the other flag checks. */
export function checkGrantFlags(flags: Record<string, string>): void {
  let amount = 0n;
  try {
    amount = parseUsd(flags['amount-usd'], '--amount-usd');
  } catch {
    // reported below
  }
  if (amount <= 0n) throw new UsageError('--amount-usd must be a positive USD amount with at most 6 decimals, e.g. 25 or 12.50');
  if (!flags.reason?.trim()) throw new UsageError('--reason must not be empty');
}
