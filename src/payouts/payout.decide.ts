import { conflict, forbidden, invalid, notFound } from '../platform/errors/domain-error';
import { assertNever, Decider } from '../platform/event-sourcing/decider';
import { PLATFORM_ACCOUNTS, providerAccount } from '../ledger/ledger-accounts';
import { checkPositiveAmount, formatUsd, MAX_AMOUNT_MICRO_USD } from '../platform/money';
import { assertBalanced, transfer } from '../ledger/postings';
import { PayoutEvent } from './payout.events';

export type PayoutStatus = 'requested' | 'approved' | 'rejected' | 'paid';
export type HoldStatus = 'open' | 'released' | 'clawed_back';

export interface EarningsHold {
  nodeId: string;
  /** UTC days, inclusive: the node's earnings in them are held. */
  fromDay: string;
  toDay: string;
  status: HoldStatus;
}

/** Payout ids come from clients (idempotency keys): the same shape as other operation ids. */
export const PAYOUT_ID = /^[0-9A-Za-z_-]{1,64}$/;
/** Requested or approved payouts a provider may have waiting at once: finance's queue stays short. */
export const MAX_OPEN_PAYOUTS = 10;
export const PAYOUT_REASON_MAX = 500;
export const PAYOUT_REFERENCE_MAX = 200;
export const REVIEW_ID = /^[0-9A-Za-z_-]{1,64}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export interface PayoutState {
  /** approvedBy: the staff member who approved (null before approval, and on payouts approved before it was kept). */
  payouts: Record<string, { amountMicroUsd: bigint; status: PayoutStatus; approvedBy: string | null }>;
  /** Requested or approved, not yet paid: already promised out of the earnings. */
  openMicroUsd: bigint;
  openCount: number;
  /** Paid out for good. The stream itself is the authority on this, not the (lagging) ledger balance. */
  paidMicroUsd: bigint;
  /** Holds for review, by review id. */
  holds: Record<string, EarningsHold>;
  /** Taken back by reviews: like paid, counted from this stream so a lagging ledger cannot over-state earnings. */
  clawedBackMicroUsd: bigint;
}

/**
 * What each hold's flagged days earned, read by the caller from the usage read model in the same
 * statement as the matured earnings (so both lag together). Every open hold must be in it.
 */
export type HeldEarnings = Readonly<Record<string, bigint>>;

export type PayoutCommand =
  | {
      type: 'RequestPayout';
      providerId: string;
      payoutId: string;
      amountMicroUsd: bigint;
      /**
       * Everything ever earned on the provider's ledger account that is older than the holdback,
       * payouts not subtracted (read from ledger_postings by the caller). Read models lag, so this
       * can only be too low, never too high; open and paid amounts come from this stream's state.
       */
      maturedEarningsMicroUsd: bigint;
      /** The open holds' amounts, read with the matured earnings; a hold missing from it refuses the request (retry). */
      heldEarnings?: HeldEarnings;
      minimumMicroUsd: bigint;
      at: string;
    }
  /** Four eyes: approved by one staff member and marked paid by another, neither of them the payee. */
  | { type: 'ApprovePayout'; providerId: string; payoutId: string; approverId: string; at: string }
  | { type: 'RejectPayout'; providerId: string; payoutId: string; reason: string; at: string }
  | { type: 'MarkPayoutPaid'; providerId: string; payoutId: string; reference: string; paidBy: string; at: string }
  /** The node trust review suspended a node: hold its earnings of the flagged days. A no-op while the node already has an open hold. */
  | { type: 'HoldEarnings'; providerId: string; reviewId: string; nodeId: string; fromDay: string; toDay: string; reason: string; at: string }
  | { type: 'ReleaseHeldEarnings'; providerId: string; reviewId: string; reason: string; at: string }
  /** `amountMicroUsd`: what the hold's days earned, read by the caller when the admin decided. */
  | { type: 'ClawBackHeldEarnings'; providerId: string; reviewId: string; amountMicroUsd: bigint; reason: string; at: string };

const initialState = (): PayoutState => ({ payouts: {}, openMicroUsd: 0n, openCount: 0, paidMicroUsd: 0n, holds: {}, clawedBackMicroUsd: 0n });

/** The sum of the open holds; throws when one of them was not read (a hold placed after the caller looked). */
export function heldForReview(state: PayoutState, held: HeldEarnings = {}): bigint {
  let total = 0n;
  for (const [reviewId, hold] of Object.entries(state.holds)) {
    if (hold.status !== 'open') continue;
    if (!Object.hasOwn(held, reviewId)) throw conflict('earnings_hold_changed', 'Earnings were put on hold meanwhile; try again.');
    total += held[reviewId];
  }
  return total;
}

/** Invariant 7: what may still be requested. Never negative. */
export function availableForPayout(state: PayoutState, maturedEarningsMicroUsd: bigint, held: HeldEarnings = {}): bigint {
  const available = maturedEarningsMicroUsd - heldForReview(state, held) - state.clawedBackMicroUsd - state.openMicroUsd - state.paidMicroUsd;
  return available > 0n ? available : 0n;
}

function reviewReason(reason: unknown): string {
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (!text || text.length > PAYOUT_REASON_MAX) throw invalid('invalid_reason', `A reason of 1..${PAYOUT_REASON_MAX} characters is required.`);
  return text;
}

function existingHold(state: PayoutState, reviewId: string): EarningsHold {
  const hold = Object.hasOwn(state.holds, reviewId) ? state.holds[reviewId] : undefined;
  if (!hold) throw notFound('review_not_found', 'No such review.');
  return hold;
}

function existing(state: PayoutState, payoutId: string) {
  const payout = state.payouts[payoutId];
  if (!payout) throw notFound('payout_not_found', 'No such payout.');
  return payout;
}

export type RequestPayout = Extract<PayoutCommand, { type: 'RequestPayout' }>;
export type ApprovePayout = Extract<PayoutCommand, { type: 'ApprovePayout' }>;
export type RejectPayout = Extract<PayoutCommand, { type: 'RejectPayout' }>;
export type MarkPayoutPaid = Extract<PayoutCommand, { type: 'MarkPayoutPaid' }>;
export type HoldEarnings = Extract<PayoutCommand, { type: 'HoldEarnings' }>;
export type ReleaseHeldEarnings = Extract<PayoutCommand, { type: 'ReleaseHeldEarnings' }>;
export type ClawBackHeldEarnings = Extract<PayoutCommand, { type: 'ClawBackHeldEarnings' }>;

/** A provider asks to be paid out of their matured earnings (less open, paid, held and clawed back). */
export function requestPayout(command: RequestPayout, state: PayoutState): PayoutEvent[] {
  const providerId = command.providerId;
  if (!PAYOUT_ID.test(command.payoutId)) throw invalid('invalid_id', "payoutId must be 1..64 letters, digits, '-' or '_'.");
  const seen = state.payouts[command.payoutId];
  if (seen) {
    // A retry with the same id is a no-op; the same id for another amount is a client bug.
    if (seen.amountMicroUsd !== command.amountMicroUsd) throw conflict('payout_id_reused', 'This payoutId was already used for a different amount.');
    return [];
  }
  const amount = checkPositiveAmount(command.amountMicroUsd);
  if (amount < command.minimumMicroUsd) throw invalid('payout_below_minimum', `The minimum payout is ${formatUsd(command.minimumMicroUsd)} USD.`);
  if (state.openCount >= MAX_OPEN_PAYOUTS) throw conflict('too_many_open_payouts', `At most ${MAX_OPEN_PAYOUTS} payouts can wait for finance at once.`);
  const available = availableForPayout(state, command.maturedEarningsMicroUsd, command.heldEarnings);
  if (amount > available) throw conflict('payout_exceeds_earnings', `At most ${formatUsd(available)} USD is available for payout.`);
  return [{ type: 'PayoutRequested', data: { providerId, payoutId: command.payoutId, amountMicroUsd: amount.toString(), requestedAt: command.at } }];
}

/** Four eyes, first pair: a staff member other than the payee approves. */
export function approvePayout(command: ApprovePayout, state: PayoutState): PayoutEvent[] {
  const providerId = command.providerId;
  const payout = existing(state, command.payoutId);
  if (payout.status === 'approved' || payout.status === 'paid') return [];
  if (payout.status !== 'requested') throw conflict('payout_not_open', `This payout is ${payout.status}.`);
  if (command.approverId === providerId) throw forbidden('payee_cannot_approve', 'A payout to you is approved and paid by two other staff members.');
  return [{ type: 'PayoutApproved', data: { providerId, payoutId: command.payoutId, approvedBy: command.approverId, approvedAt: command.at } }];
}

/** Finance turns a payout request down. */
export function rejectPayout(command: RejectPayout, state: PayoutState): PayoutEvent[] {
  const providerId = command.providerId;
  const payout = existing(state, command.payoutId);
  if (payout.status === 'rejected') return [];
  if (payout.status === 'paid') throw conflict('payout_not_open', 'This payout is already paid.');
  const reason = typeof command.reason === 'string' ? command.reason.trim() : '';
  if (!reason || reason.length > PAYOUT_REASON_MAX) throw invalid('invalid_reason', `A reason of 1..${PAYOUT_REASON_MAX} characters is required.`);
  return [{ type: 'PayoutRejected', data: { providerId, payoutId: command.payoutId, reason, rejectedAt: command.at } }];
}

/** Four eyes, second pair: another staff member records the money as sent. */
export function markPayoutPaid(command: MarkPayoutPaid, state: PayoutState): PayoutEvent[] {
  const providerId = command.providerId;
  const payout = existing(state, command.payoutId);
  if (payout.status === 'paid') return [];
  if (payout.status !== 'approved') throw conflict('payout_not_approved', 'Only an approved payout can be paid.');
  if (command.paidBy === providerId) throw forbidden('payee_cannot_approve', 'A payout to you is approved and paid by two other staff members.');
  if (payout.approvedBy !== null && command.paidBy === payout.approvedBy)
    throw conflict('second_approver_required', 'You approved this payout; another staff member must mark it paid.');
  const reference = typeof command.reference === 'string' ? command.reference.trim() : '';
  if (!reference || reference.length > PAYOUT_REFERENCE_MAX) throw invalid('invalid_reference', `A payment reference of 1..${PAYOUT_REFERENCE_MAX} characters is required.`);
  return [
    {
      type: 'PayoutPaid',
      data: {
        providerId,
        payoutId: command.payoutId,
        amountMicroUsd: payout.amountMicroUsd.toString(),
        reference,
        approvedBy: payout.approvedBy,
        paidBy: command.paidBy,
        paidAt: command.at,
        postings: assertBalanced(transfer(providerAccount(providerId), PLATFORM_ACCOUNTS.payouts, payout.amountMicroUsd)),
      },
    },
  ];
}

/** Node trust review: hold a suspended node's earnings of the flagged days. */
export function holdEarnings(command: HoldEarnings, state: PayoutState): PayoutEvent[] {
  const providerId = command.providerId;
  if (!REVIEW_ID.test(command.reviewId)) throw invalid('invalid_id', "reviewId must be 1..64 letters, digits, '-' or '_'.");
  if (!DAY.test(command.fromDay) || !DAY.test(command.toDay) || command.fromDay > command.toDay) throw invalid('invalid_period', 'fromDay..toDay must be UTC days, in order.');
  if (Object.hasOwn(state.holds, command.reviewId) || Object.values(state.holds).some((h) => h.status === 'open' && h.nodeId === command.nodeId)) return [];
  const { reviewId, nodeId, fromDay, toDay } = command;
  return [{ type: 'EarningsHeldForReview', data: { providerId, reviewId, nodeId, fromDay, toDay, reason: reviewReason(command.reason), heldAt: command.at } }];
}

/** The review cleared the node: its held earnings become payable again. */
export function releaseHeldEarnings(command: ReleaseHeldEarnings, state: PayoutState): PayoutEvent[] {
  const providerId = command.providerId;
  const hold = existingHold(state, command.reviewId);
  if (hold.status === 'released') return [];
  if (hold.status !== 'open') throw conflict('review_closed', 'These earnings were already clawed back.');
  return [{ type: 'HeldEarningsReleased', data: { providerId, reviewId: command.reviewId, nodeId: hold.nodeId, reason: reviewReason(command.reason), releasedAt: command.at } }];
}

/** The review found the node dishonest: take the held earnings back. */
export function clawBackHeldEarnings(command: ClawBackHeldEarnings, state: PayoutState): PayoutEvent[] {
  const providerId = command.providerId;
  const hold = existingHold(state, command.reviewId);
  if (hold.status === 'clawed_back') return [];
  if (hold.status !== 'open') throw conflict('review_closed', 'These earnings were already released.');
  const amount = command.amountMicroUsd;
  if (amount < 0n || amount > MAX_AMOUNT_MICRO_USD) throw invalid('invalid_amount', 'The amount is out of range.');
  return [
    {
      type: 'HeldEarningsClawedBack',
      data: {
        providerId,
        reviewId: command.reviewId,
        nodeId: hold.nodeId,
        amountMicroUsd: amount.toString(),
        reason: reviewReason(command.reason),
        clawedBackAt: command.at,
        postings: amount > 0n ? assertBalanced(transfer(providerAccount(providerId), PLATFORM_ACCOUNTS.clawbacks, amount)) : [],
      },
    },
  ];
}

/** One provider's payouts stream: a short dispatcher to one function per use case above. */
function decide(command: PayoutCommand, state: PayoutState): PayoutEvent[] {
  switch (command.type) {
    case 'RequestPayout':
      return requestPayout(command, state);
    case 'ApprovePayout':
      return approvePayout(command, state);
    case 'RejectPayout':
      return rejectPayout(command, state);
    case 'MarkPayoutPaid':
      return markPayoutPaid(command, state);
    case 'HoldEarnings':
      return holdEarnings(command, state);
    case 'ReleaseHeldEarnings':
      return releaseHeldEarnings(command, state);
    case 'ClawBackHeldEarnings':
      return clawBackHeldEarnings(command, state);
    default:
      return assertNever(command);
  }
}

function evolve(state: PayoutState, event: PayoutEvent): PayoutState {
  const set = (payoutId: string, amountMicroUsd: bigint, status: PayoutStatus, approvedBy: string | null = state.payouts[payoutId]?.approvedBy ?? null) => ({
    ...state.payouts,
    [payoutId]: { amountMicroUsd, status, approvedBy },
  });
  switch (event.type) {
    case 'PayoutRequested': {
      const amount = BigInt(event.data.amountMicroUsd);
      return { ...state, payouts: set(event.data.payoutId, amount, 'requested'), openMicroUsd: state.openMicroUsd + amount, openCount: state.openCount + 1 };
    }
    case 'PayoutApproved': {
      const payout = state.payouts[event.data.payoutId];
      return payout ? { ...state, payouts: set(event.data.payoutId, payout.amountMicroUsd, 'approved', event.data.approvedBy ?? null) } : state;
    }
    case 'PayoutRejected':
    case 'PayoutPaid': {
      const payout = state.payouts[event.data.payoutId];
      if (!payout || payout.status === 'paid' || payout.status === 'rejected') return state;
      const closed = { ...state, openMicroUsd: state.openMicroUsd - payout.amountMicroUsd, openCount: state.openCount - 1 };
      if (event.type === 'PayoutRejected') return { ...closed, payouts: set(event.data.payoutId, payout.amountMicroUsd, 'rejected') };
      return { ...closed, payouts: set(event.data.payoutId, payout.amountMicroUsd, 'paid'), paidMicroUsd: state.paidMicroUsd + payout.amountMicroUsd };
    }
    case 'EarningsHeldForReview': {
      const { reviewId, nodeId, fromDay, toDay } = event.data;
      return Object.hasOwn(state.holds, reviewId) ? state : { ...state, holds: { ...state.holds, [reviewId]: { nodeId, fromDay, toDay, status: 'open' } } };
    }
    case 'HeldEarningsReleased':
    case 'HeldEarningsClawedBack': {
      const hold = Object.hasOwn(state.holds, event.data.reviewId) ? state.holds[event.data.reviewId] : undefined;
      if (!hold || hold.status !== 'open') return state;
      const closed = {
        ...state,
        holds: { ...state.holds, [event.data.reviewId]: { ...hold, status: event.type === 'HeldEarningsReleased' ? ('released' as const) : ('clawed_back' as const) } },
      };
      return event.type === 'HeldEarningsReleased' ? closed : { ...closed, clawedBackMicroUsd: state.clawedBackMicroUsd + BigInt(event.data.amountMicroUsd) };
    }
    default:
      return state;
  }
}

export const payoutDecider: Decider<PayoutState, PayoutCommand, PayoutEvent> = { initialState, decide, evolve };
