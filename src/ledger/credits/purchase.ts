import { conflict } from '../../platform/errors/domain-error';
import { CreditsEvent } from '../credits.events';
import { developerAccount, PLATFORM_ACCOUNTS } from '../ledger-accounts';
import { checkPositiveAmount } from '../../platform/money';
import { assertBalanced, transfer } from '../postings';
import { checkOperationId, CreditsState, RecordPurchase } from './credits.state';

/** A paid top-up becomes credits, exactly once per payment: checkout callback, webhooks and sweeps all land here. */
export function recordPurchase(command: RecordPurchase, state: CreditsState): CreditsEvent[] {
  checkOperationId(command.paymentId, 'paymentId');
  const seen = state.purchases[command.paymentId];
  if (seen) {
    if (seen.amountMicroUsd !== command.amountMicroUsd) throw conflict('payment_amount_mismatch', 'This payment was already credited with a different amount.');
    return [];
  }
  // A second payment for the same order (two Checkout tabs) is a duplicate to give back, not more credit.
  const creditedFor = command.orderId === null ? undefined : state.orders[command.orderId];
  if (creditedFor !== undefined) throw conflict('order_already_credited', `This order was already credited by payment ${creditedFor}.`);
  const amount = checkPositiveAmount(command.amountMicroUsd);
  return [
    {
      type: 'CreditsPurchased',
      data: {
        accountId: command.accountId,
        paymentId: command.paymentId,
        orderId: command.orderId,
        amountMicroUsd: amount.toString(),
        purchasedAt: command.at,
        postings: assertBalanced(
          transfer(command.clearing === 'crypto' ? PLATFORM_ACCOUNTS.cryptoClearing : PLATFORM_ACCOUNTS.paymentClearing, developerAccount(command.accountId), amount),
        ),
      },
    },
  ];
}
