import { DomainEvent } from '../../platform/event-sourcing/decider';

/**
 * Stream `crypto-{chargeCode}`: one Coinbase Commerce charge (a crypto top-up), as we saw it
 * through Coinbase's API. Only charge codes, statuses, amounts, networks and transaction hashes
 * are kept (P3: no payer addresses, names or emails). The money itself moves in
 * `credits-{accountId}` (CreditsPurchased with paymentId `cc_{code}`, crypto clearing → developer).
 */

/** One on-chain payment of a charge, as Coinbase reported it. `localMicroUsd` is its USD value at the charge's rate. */
export interface CryptoPaymentRef {
  [key: string]: string;
  network: string;
  transactionId: string;
  /** Coinbase's status of the payment: PENDING, CONFIRMED, … */
  status: string;
  localMicroUsd: string;
  cryptoAmount: string;
  cryptoCurrency: string;
}

/** Why a charge was credited with the amount it was (see creditFor). */
export type CreditBasis = 'completed' | 'overpaid' | 'resolved';

export type CryptoDiscrepancyKind =
  /** A charge Tollgate never created (another integration on the same Coinbase account, or a forged code). */
  | 'unknown_charge'
  /** Coinbase's price of the charge is not the one we created. */
  | 'price_mismatch'
  /** Resolved by the merchant with nothing confirmed: nothing to credit. */
  | 'resolved_without_payment'
  /** Already credited, then Coinbase shows more confirmed money than we credited (e.g. a late second payment): finance looks. */
  | 'paid_after_credit';

export type CryptoChargeEvent =
  | DomainEvent<
      'CryptoChargeCreated',
      { chargeCode: string; chargeId: string; accountId: string; amountMicroUsd: string; hostedUrl: string; expiresAt: string | null; createdAt: string }
    >
  /**
   * Coinbase's status, context or payments changed, as fetched from its API (never from a webhook
   * body). `timelineLength`: entries in the charge's timeline then; Coinbase only appends to it, so a
   * shorter one is an older look (a job that fetched before another) and is not recorded.
   */
  | DomainEvent<
      'CryptoChargeObserved',
      { chargeCode: string; status: string; context: string | null; confirmedMicroUsd: string; payments: CryptoPaymentRef[]; timelineLength: number; observedAt: string }
    >
  /** Credited once (CreditsPurchased `cc_{code}` in the developer's credits stream), with the references it was credited on. */
  | DomainEvent<
      'CryptoChargeCredited',
      {
        chargeCode: string;
        accountId: string;
        paymentId: string;
        amountMicroUsd: string;
        basis: CreditBasis;
        status: string;
        context: string | null;
        payments: CryptoPaymentRef[];
        creditedAt: string;
      }
    >
  | DomainEvent<'CryptoChargeDiscrepancyFound', { chargeCode: string; kind: CryptoDiscrepancyKind; expected: string | null; actual: string | null; foundAt: string }>;

export const CRYPTO_STREAM_PREFIX = 'crypto-';
/** The stream index files it under category `crypto` (the part before the first '-'). */
export const CRYPTO_STREAM_CATEGORY = 'crypto';
export const cryptoChargeStream = (chargeCode: string) => `${CRYPTO_STREAM_PREFIX}${chargeCode}`;

/** The payment id of a charge in the credits stream (CreditsPurchased.paymentId / orderId): Razorpay's are `pay_…`. */
export const CRYPTO_PAYMENT_PREFIX = 'cc_';
export const cryptoPaymentId = (chargeCode: string) => `${CRYPTO_PAYMENT_PREFIX}${chargeCode}`;
export const isCryptoPaymentId = (reference: string | null): boolean => typeof reference === 'string' && reference.startsWith(CRYPTO_PAYMENT_PREFIX);

/** Coinbase charge codes are 8 upper-case letters and digits; allow some room. */
export const CHARGE_CODE = /^[A-Z0-9]{4,32}$/;
