/**
 * The chart of accounts. A ledger account is a string so postings stay plain JSON:
 * `developer:{accountId}` and `provider:{accountId}` per person, `platform:*` for the house.
 * Amounts on postings are signed: debit positive, credit negative; every transaction sums to zero.
 */
export const PLATFORM_ACCOUNTS = {
  /** Money received through Razorpay and not yet paid out (asset). */
  paymentClearing: 'platform:payment_clearing',
  /** Money received in crypto through Coinbase Commerce and not yet settled to us (asset). */
  cryptoClearing: 'platform:crypto_clearing',
  /** Free-tier and admin grants: credits given away (expense). */
  promotions: 'platform:promotions',
  /** Admin corrections in either direction (expense / contra). */
  corrections: 'platform:corrections',
  /** The platform's share of charged usage (revenue). */
  revenue: 'platform:revenue',
  /** Refunds owed to customers until Razorpay confirms them (liability). */
  refundsPayable: 'platform:refunds_payable',
  /** Money sent to providers (asset leaving). */
  payouts: 'platform:payouts',
  /** Credits frozen while a payment is disputed with the bank (liability, until won or lost). */
  disputesHeld: 'platform:disputes_held',
  /** Lost disputes the frozen credits did not cover: the platform's loss (expense). */
  disputeLosses: 'platform:dispute_losses',
  /** Known-answer probes of nodes at list price: what they would have cost a developer (expense). */
  probeExpense: 'platform:probe_expense',
  /** The same value, owed to no one: nodes earn nothing from probes (contra-expense; see docs/trusting-nodes.md). */
  probeAllowance: 'platform:probe_allowance',
  /** Provider earnings taken back after a review found the node dishonest (until finance makes developers whole). */
  clawbacks: 'platform:clawbacks',
} as const;

export type PlatformAccount = (typeof PLATFORM_ACCOUNTS)[keyof typeof PLATFORM_ACCOUNTS];
export type LedgerAccountKind = 'developer' | 'provider' | 'vendor' | 'platform';

/** Which side increases the account: debit-normal accounts show +debits, credit-normal +credits. */
export type NormalSide = 'debit' | 'credit';

const PLATFORM_NORMAL_SIDE: Record<PlatformAccount, NormalSide> = {
  'platform:payment_clearing': 'debit',
  'platform:crypto_clearing': 'debit',
  'platform:promotions': 'debit',
  'platform:corrections': 'debit',
  'platform:revenue': 'credit',
  'platform:refunds_payable': 'credit',
  'platform:payouts': 'debit',
  'platform:disputes_held': 'credit',
  'platform:dispute_losses': 'debit',
  'platform:probe_expense': 'debit',
  'platform:probe_allowance': 'credit',
  'platform:clawbacks': 'credit',
};

const OWNER_ID = /^[0-9A-Za-z_-]{1,64}$/;

export const developerAccount = (accountId: string) => `developer:${accountId}`;
export const providerAccount = (accountId: string) => `provider:${accountId}`;
/** What we owe an upstream API vendor for the requests it served (a payable; issue 20). */
export const vendorAccount = (upstreamId: string) => `vendor:${upstreamId}`;

export interface ParsedLedgerAccount {
  name: string;
  kind: LedgerAccountKind;
  ownerId: string | null;
  normalSide: NormalSide;
}

/** null for anything that is not an account of the chart (events are checked with it). */
export function parseLedgerAccount(name: string): ParsedLedgerAccount | null {
  if (typeof name !== 'string') return null;
  const colon = name.indexOf(':');
  const prefix = name.slice(0, colon);
  const rest = name.slice(colon + 1);
  if (prefix === 'vendor') return /^up_[0-9A-Za-z]{12}$/.test(rest) ? { name, kind: 'vendor', ownerId: rest, normalSide: 'credit' } : null;
  if (prefix === 'developer' || prefix === 'provider') {
    // Both owe the person: credits not yet spent, earnings not yet paid (liabilities).
    return OWNER_ID.test(rest) ? { name, kind: prefix, ownerId: rest, normalSide: 'credit' } : null;
  }
  if (prefix === 'platform' && name in PLATFORM_NORMAL_SIDE) {
    return { name, kind: 'platform', ownerId: null, normalSide: PLATFORM_NORMAL_SIDE[name as PlatformAccount] };
  }
  return null;
}

/** The balance as its owner reads it: positive means "has" (credits held, earnings owed, money in). */
export function normalBalance(normalSide: NormalSide, debitPositiveBalance: bigint): bigint {
  return normalSide === 'debit' ? debitPositiveBalance : -debitPositiveBalance;
}
