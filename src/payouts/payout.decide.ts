import { conflict, invalid, notFound } from '../common/domain-error';
import { assertNever, Decider } from '../event-sourcing/decider';
import { PLATFORM_ACCOUNTS, providerAccount } from '../ledger/ledger-accounts';
import { checkPositiveAmount, formatUsd } from '../ledger/money';
import { assertBalanced, transfer } from '../ledger/postings';
import { PayoutEvent } from './payout.events';

type PayoutStatus = 'requested' | 'approved' | 'rejected' | 'paid';

export interface PayoutState {
  payouts: Record<string, { amountMicroUsd: bigint; status: PayoutStatus }>;
  /** Requested or approved, not yet paid: already promised out of the earnings. */
  openMicroUsd: bigint;
}

export type PayoutCommand =
  | {
      type: 'RequestPayout';
      providerId: string;
      payoutId: string;
      amountMicroUsd: bigint;
      /** The provider's payable balance minus the holdback, read from the ledger by the caller. */
      earnedAvailableMicroUsd: bigint;
      minimumMicroUsd: bigint;
      at: string;
    }
  | { type: 'ApprovePayout'; providerId: string; payoutId: string; at: string }
  | { type: 'RejectPayout'; providerId: string; payoutId: string; reason: string; at: string }
  | { type: 'MarkPayoutPaid'; providerId: string; payoutId: string; reference: string; at: string };

const initialState = (): PayoutState => ({ payouts: {}, openMicroUsd: 0n });

function existing(state: PayoutState, payoutId: string) {
  const payout = state.payouts[payoutId];
  if (!payout) throw notFound('payout_not_found', 'No such payout.');
  return payout;
}

function decide(command: PayoutCommand, state: PayoutState): PayoutEvent[] {
  const providerId = command.providerId;
  switch (command.type) {
    case 'RequestPayout': {
      if (state.payouts[command.payoutId]) return [];
      const amount = checkPositiveAmount(command.amountMicroUsd);
      if (amount < command.minimumMicroUsd) throw invalid('payout_below_minimum', `The minimum payout is ${formatUsd(command.minimumMicroUsd)} USD.`);
      // Invariant 7: payouts never exceed the earned share, counting payouts still open.
      const available = command.earnedAvailableMicroUsd - state.openMicroUsd;
      if (amount > available) throw conflict('payout_exceeds_earnings', `At most ${formatUsd(available > 0n ? available : 0n)} USD is available for payout.`);
      return [{ type: 'PayoutRequested', data: { providerId, payoutId: command.payoutId, amountMicroUsd: amount.toString(), requestedAt: command.at } }];
    }
    case 'ApprovePayout': {
      const payout = existing(state, command.payoutId);
      if (payout.status === 'approved' || payout.status === 'paid') return [];
      if (payout.status !== 'requested') throw conflict('payout_not_open', `This payout is ${payout.status}.`);
      return [{ type: 'PayoutApproved', data: { providerId, payoutId: command.payoutId, approvedAt: command.at } }];
    }
    case 'RejectPayout': {
      const payout = existing(state, command.payoutId);
      if (payout.status === 'rejected') return [];
      if (payout.status === 'paid') throw conflict('payout_not_open', 'This payout is already paid.');
      const reason = command.reason.trim();
      if (!reason || reason.length > 500) throw invalid('invalid_reason', 'A reason of 1..500 characters is required.');
      return [{ type: 'PayoutRejected', data: { providerId, payoutId: command.payoutId, reason, rejectedAt: command.at } }];
    }
    case 'MarkPayoutPaid': {
      const payout = existing(state, command.payoutId);
      if (payout.status === 'paid') return [];
      if (payout.status !== 'approved') throw conflict('payout_not_approved', 'Only an approved payout can be paid.');
      const reference = command.reference.trim();
      if (!reference || reference.length > 200) throw invalid('invalid_reference', 'A payment reference of 1..200 characters is required.');
      return [{ type: 'PayoutPaid', data: {
          providerId,
          payoutId: command.payoutId,
          amountMicroUsd: payout.amountMicroUsd.toString(),
          reference,
          paidAt: command.at,
          postings: assertBalanced(transfer(providerAccount(providerId), PLATFORM_ACCOUNTS.payouts, payout.amountMicroUsd)),
        },
      }];
    }
    default:
      return assertNever(command);
  }
}

function evolve(state: PayoutState, event: PayoutEvent): PayoutState {
  const set = (payoutId: string, amountMicroUsd: bigint, status: PayoutStatus) => ({ ...state.payouts, [payoutId]: { amountMicroUsd, status } });
  switch (event.type) {
    case 'PayoutRequested': {
      const amount = BigInt(event.data.amountMicroUsd);
      return { payouts: set(event.data.payoutId, amount, 'requested'), openMicroUsd: state.openMicroUsd + amount };
    }
    case 'PayoutApproved': {
      const payout = state.payouts[event.data.payoutId];
      return payout ? { ...state, payouts: set(event.data.payoutId, payout.amountMicroUsd, 'approved') } : state;
    }
    case 'PayoutRejected':
    case 'PayoutPaid': {
      const payout = state.payouts[event.data.payoutId];
      if (!payout) return state;
      const status = event.type === 'PayoutPaid' ? 'paid' : 'rejected';
      // Paid money leaves the earnings through the ledger; either way it is no longer "open".
      return { payouts: set(event.data.payoutId, payout.amountMicroUsd, status), openMicroUsd: state.openMicroUsd - payout.amountMicroUsd };
    }
    default:
      return state;
  }
}

export const payoutDecider: Decider<PayoutState, PayoutCommand, PayoutEvent> = { initialState, decide, evolve };
