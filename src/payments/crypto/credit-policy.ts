import { CreditBasis, CryptoPaymentRef } from './crypto-charge.events';

/**
 * What a Coinbase Commerce charge is worth in credits, from the charge as Coinbase's API shows it
 * (the last timeline entry is its status). Pure, so the whole policy is tested in one place.
 *
 * - COMPLETED (charge:confirmed): paid in full and confirmed → the charge's price.
 * - UNRESOLVED/OVERPAID: more than the price arrived and was confirmed → everything confirmed.
 *   The developer sent that money and a crypto refund costs network fees and a manual step at
 *   Coinbase, so the excess becomes credits (refundable like any credits) rather than a debt.
 * - UNRESOLVED/UNDERPAID, DELAYED (paid after expiry), MULTIPLE, MANUAL, OTHER → nothing yet:
 *   Coinbase asks the merchant to decide. Once the merchant marks it RESOLVED → what was
 *   confirmed (for an underpayment: only what arrived, never the price).
 * - NEW, PENDING (seen on chain, not confirmed) → nothing yet; EXPIRED, CANCELED → nothing.
 */
export interface ChargeFacts {
  status: string;
  context: string | null;
  priceMicroUsd: bigint;
  payments: readonly CryptoPaymentRef[];
}

export type CreditDecision = { credit: true; amountMicroUsd: bigint; basis: CreditBasis } | { credit: false; reason: 'waiting' | 'unresolved' | 'closed' | 'nothing_confirmed' };

export const confirmedMicroUsd = (payments: readonly CryptoPaymentRef[]): bigint =>
  payments.filter((p) => p.status === 'CONFIRMED').reduce((sum, p) => sum + BigInt(p.localMicroUsd), 0n);

export function creditFor(charge: ChargeFacts): CreditDecision {
  const confirmed = confirmedMicroUsd(charge.payments);
  switch (charge.status) {
    case 'COMPLETED':
      return { credit: true, amountMicroUsd: charge.priceMicroUsd, basis: 'completed' };
    case 'UNRESOLVED':
      if (charge.context === 'OVERPAID' && confirmed > 0n) return { credit: true, amountMicroUsd: confirmed, basis: 'overpaid' };
      return { credit: false, reason: 'unresolved' };
    case 'RESOLVED':
      return confirmed > 0n ? { credit: true, amountMicroUsd: confirmed, basis: 'resolved' } : { credit: false, reason: 'nothing_confirmed' };
    case 'EXPIRED':
    case 'CANCELED':
      return { credit: false, reason: 'closed' };
    default:
      return { credit: false, reason: 'waiting' }; // NEW, PENDING, and any status Coinbase adds later
  }
}
