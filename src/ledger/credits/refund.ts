import { conflict, notFound } from '../../platform/errors/domain-error';
import { CreditsEvent } from '../credits.events';
import { developerAccount, PLATFORM_ACCOUNTS } from '../ledger-accounts';
import { checkPositiveAmount, formatUsd } from '../../platform/money';
import { assertBalanced, transfer } from '../postings';
import { checkOperationId, checkReason, CreditsState, RefundCredits, ReverseRefund } from './credits.state';

/** Credits go back out for (part of) a purchase, at most what is still unrefunded of that payment. */
export function refundCredits(command: RefundCredits, state: CreditsState): CreditsEvent[] {
  checkOperationId(command.refundId, 'refundId');
  if (state.operations[command.refundId]) return [];
  const purchase = state.purchases[command.paymentId];
  if (!purchase) throw notFound('payment_not_found', 'No purchase with this payment id on this account.');
  const amount = checkPositiveAmount(command.amountMicroUsd);
  const refundable = purchase.amountMicroUsd - purchase.refundedMicroUsd;
  if (amount > refundable) throw conflict('refund_exceeds_payment', `At most ${formatUsd(refundable)} USD of this payment can still be refunded.`);
  return [
    {
      type: 'CreditsRefunded',
      data: {
        accountId: command.accountId,
        refundId: command.refundId,
        paymentId: command.paymentId,
        amountMicroUsd: amount.toString(),
        reason: checkReason(command.reason),
        holdId: command.refundId,
        refundedAt: command.at,
        postings: assertBalanced(transfer(developerAccount(command.accountId), PLATFORM_ACCOUNTS.refundsPayable, amount)),
      },
    },
  ];
}

/** A refund that failed at the gateway gives the credits back. */
export function reverseRefund(command: ReverseRefund, state: CreditsState): CreditsEvent[] {
  const refund = state.refunds[command.refundId];
  if (!refund) throw notFound('refund_not_found', 'No refund with this id on this account.');
  if (refund.reversed) return [];
  return [
    {
      type: 'CreditsRefundReversed',
      data: {
        accountId: command.accountId,
        refundId: command.refundId,
        paymentId: refund.paymentId,
        amountMicroUsd: refund.amountMicroUsd.toString(),
        reason: checkReason(command.reason),
        reversedAt: command.at,
        postings: assertBalanced(transfer(PLATFORM_ACCOUNTS.refundsPayable, developerAccount(command.accountId), refund.amountMicroUsd)),
      },
    },
  ];
}
