import { RecordedEvent } from '../../platform/event-store/event-store.port';
import { parseLedgerAccount } from '../../ledger/ledger-accounts';
import { readPostings } from '../../ledger/postings';

/**
 * Once per crossing: below the threshold and not yet mailed → mail, and remember it; back at or
 * above the threshold → re-armed. Pure, so the worker's replays decide the same.
 */
export function crossing(balanceMicroUsd: bigint, thresholdMicroUsd: bigint, alerted: boolean): { alerted: boolean; mail: boolean } {
  if (balanceMicroUsd >= thresholdMicroUsd) return { alerted: false, mail: false };
  return { alerted: true, mail: !alerted };
}

/** How an event moves each developer's credits (credit-normal: a credit posting adds), as the balance feeder reads it. */
export function developerDeltas(event: RecordedEvent): Map<string, bigint> {
  const deltas = new Map<string, bigint>();
  for (const posting of readPostings(event.data) ?? []) {
    const account = parseLedgerAccount(posting.account);
    if (account?.kind === 'developer' && account.ownerId) deltas.set(account.ownerId, (deltas.get(account.ownerId) ?? 0n) - BigInt(posting.amountMicroUsd));
  }
  return deltas;
}
