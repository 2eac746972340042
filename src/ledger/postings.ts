import { JsonObject, JsonValue } from '../platform/event-store/event-store.port';
import { microFromString } from '../platform/money';
import { parseLedgerAccount } from './ledger-accounts';

/** One line of a double-entry transaction, as stored in events: debit positive, credit negative. */
export interface Posting extends JsonObject {
  account: string;
  amountMicroUsd: string;
}

/** Moves `amount` from `from` (credited) to `to` (debited): the one way postings are made. */
export function transfer(to: string, from: string, amountMicroUsd: bigint): Posting[] {
  if (amountMicroUsd <= 0n) throw new Error(`transfer of non-positive amount ${amountMicroUsd}`);
  return [
    { account: to, amountMicroUsd: amountMicroUsd.toString() },
    { account: from, amountMicroUsd: (-amountMicroUsd).toString() },
  ];
}

/** Deciders call this on every transaction they emit: an unbalanced one is a programmer error. */
export function assertBalanced(postings: readonly Posting[]): Posting[] {
  if (postings.length < 2) throw new Error('a transaction has at least two postings');
  let sum = 0n;
  for (const p of postings) {
    if (!parseLedgerAccount(p.account)) throw new Error(`unknown ledger account ${p.account}`);
    sum += microFromString(p.amountMicroUsd);
  }
  if (sum !== 0n) throw new Error(`postings sum to ${sum}, not zero`);
  return [...postings];
}

export const MAX_POSTINGS = 16;
/**
 * A usage day summary nets a whole day of charges: one line per ledger account they touched
 * (the developer, the platform, every provider that served the day), so it may need more.
 */
export const MAX_SUMMARY_POSTINGS = 4_096;

/**
 * Reads postings from a recorded event without trusting it: null when absent, malformed,
 * unbalanced or naming an unknown account. Projectors skip such events rather than throw.
 */
export function readPostings(data: JsonObject, maxPostings = MAX_POSTINGS): Posting[] | null {
  const raw: JsonValue | undefined = data.postings;
  if (!Array.isArray(raw) || raw.length < 2 || raw.length > maxPostings) return null;
  let sum = 0n;
  const postings: Posting[] = [];
  for (const item of raw) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return null;
    const { account, amountMicroUsd } = item as JsonObject;
    if (typeof account !== 'string' || typeof amountMicroUsd !== 'string' || !/^-?\d{1,19}$/.test(amountMicroUsd)) return null;
    if (!parseLedgerAccount(account)) return null;
    sum += BigInt(amountMicroUsd);
    postings.push({ account, amountMicroUsd });
  }
  return sum === 0n ? postings : null;
}

/** What a transaction does to one ledger account, debit positive. */
export function netFor(postings: readonly Posting[], account: string): bigint {
  let net = 0n;
  for (const p of postings) if (p.account === account) net += BigInt(p.amountMicroUsd);
  return net;
}
