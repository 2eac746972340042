import { CreditsEvent } from '../credits.events';
import { developerAccount, PLATFORM_ACCOUNTS } from '../ledger-accounts';
import { checkPositiveAmount } from '../../platform/money';
import { assertBalanced, transfer } from '../postings';
import { CreditsState, GrantFreeTier } from './credits.state';

/** The sign-up gift: once per account; an amount of 0 means the free tier is off. */
export function grantFreeTier(command: GrantFreeTier, state: CreditsState): CreditsEvent[] {
  if (state.freeTierGranted || command.amountMicroUsd === 0n) return [];
  const amount = checkPositiveAmount(command.amountMicroUsd);
  return [
    {
      type: 'FreeTierGranted',
      data: {
        accountId: command.accountId,
        amountMicroUsd: amount.toString(),
        grantedAt: command.at,
        postings: assertBalanced(transfer(PLATFORM_ACCOUNTS.promotions, developerAccount(command.accountId), amount)),
      },
    },
  ];
}
