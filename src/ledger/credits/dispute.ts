import { conflict, invalid, notFound } from '../../platform/errors/domain-error';
import { CreditsEvent } from '../credits.events';
import { developerAccount, PLATFORM_ACCOUNTS } from '../ledger-accounts';
import { checkPositiveAmount } from '../../platform/money';
import { assertBalanced, Posting, transfer } from '../postings';
import { checkOperationId, CreditsState, FreezeDisputedCredits, RecordDisputeLost, ReleaseDisputedCredits } from './credits.state';

/** A bank dispute opens: freeze what the developer still has of the disputed amount. */
export function freezeDisputedCredits(command: FreezeDisputedCredits, state: CreditsState): CreditsEvent[] {
  checkOperationId(command.disputeId, 'disputeId');
  if (state.disputes[command.disputeId]) return [];
  const purchase = state.purchases[command.paymentId];
  if (!purchase) throw notFound('payment_not_found', 'No purchase with this payment id on this account.');
  const disputed = checkPositiveAmount(command.disputedMicroUsd);
  // A bank reverses at most what was paid. (A dispute over a part already refunded is a real
  // loss if lost — the refund went out too — which finance contests with the refund's proof.)
  if (disputed > purchase.amountMicroUsd) throw invalid('invalid_amount', 'The disputed amount exceeds the payment.');
  const frozen = command.frozenMicroUsd;
  if (frozen < 0n || frozen > disputed) throw invalid('invalid_amount', 'The frozen amount must be between zero and the disputed amount.');
  return [
    {
      type: 'DisputeFundsFrozen',
      data: {
        accountId: command.accountId,
        disputeId: command.disputeId,
        paymentId: command.paymentId,
        disputedMicroUsd: disputed.toString(),
        frozenMicroUsd: frozen.toString(),
        shortfallMicroUsd: (disputed - frozen).toString(),
        // Freezing spends credits like usage does: through a hold with this id.
        holdId: frozen > 0n ? command.disputeId : null,
        frozenAt: command.at,
        postings: frozen > 0n ? assertBalanced(transfer(developerAccount(command.accountId), PLATFORM_ACCOUNTS.disputesHeld, frozen)) : [],
      },
    },
  ];
}

/** The dispute was won (or closed in our favour): the frozen credits go back to the developer. */
export function releaseDisputedCredits(command: ReleaseDisputedCredits, state: CreditsState): CreditsEvent[] {
  const dispute = state.disputes[command.disputeId];
  if (!dispute) throw notFound('dispute_not_found', 'No frozen dispute with this id on this account.');
  if (dispute.outcome !== 'open') return [];
  return [
    {
      type: 'DisputeFundsReleased',
      data: {
        accountId: command.accountId,
        disputeId: command.disputeId,
        paymentId: dispute.paymentId,
        amountMicroUsd: dispute.frozenMicroUsd.toString(),
        releasedAt: command.at,
        postings: dispute.frozenMicroUsd > 0n ? assertBalanced(transfer(PLATFORM_ACCOUNTS.disputesHeld, developerAccount(command.accountId), dispute.frozenMicroUsd)) : [],
      },
    },
  ];
}

/** The dispute was lost: the bank took the money; frozen credits cover what they can, the rest is written off. */
export function recordDisputeLost(command: RecordDisputeLost, state: CreditsState): CreditsEvent[] {
  const dispute = state.disputes[command.disputeId];
  if (!dispute) throw notFound('dispute_not_found', 'No frozen dispute with this id on this account.');
  if (dispute.outcome === 'lost') return [];
  if (dispute.outcome === 'released') throw conflict('dispute_already_released', 'This dispute was already released to the developer.');
  const writtenOff = dispute.disputedMicroUsd - dispute.frozenMicroUsd;
  // The bank took the whole disputed amount out of clearing; frozen credits cover what they can.
  const postings: Posting[] = [{ account: PLATFORM_ACCOUNTS.paymentClearing, amountMicroUsd: (-dispute.disputedMicroUsd).toString() }];
  if (dispute.frozenMicroUsd > 0n) postings.push({ account: PLATFORM_ACCOUNTS.disputesHeld, amountMicroUsd: dispute.frozenMicroUsd.toString() });
  if (writtenOff > 0n) postings.push({ account: PLATFORM_ACCOUNTS.disputeLosses, amountMicroUsd: writtenOff.toString() });
  return [
    {
      type: 'DisputeLost',
      data: {
        accountId: command.accountId,
        disputeId: command.disputeId,
        paymentId: dispute.paymentId,
        disputedMicroUsd: dispute.disputedMicroUsd.toString(),
        frozenMicroUsd: dispute.frozenMicroUsd.toString(),
        writtenOffMicroUsd: writtenOff.toString(),
        lostAt: command.at,
        postings: assertBalanced(postings),
      },
    },
  ];
}
