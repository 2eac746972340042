import { assertNever, Decider } from '../../platform/event-sourcing/decider';
import { CreditsEvent } from '../credits.events';
import { CreditsCommand, CreditsState, evolve, initialState } from './credits.state';
import { freezeDisputedCredits, recordDisputeLost, releaseDisputedCredits } from './dispute';
import { grantFreeTier } from './free-tier';
import { approveCreditOperation, correctCredits, grantCredits, rejectCreditOperation } from './grants';
import { recordPurchase } from './purchase';
import { refundCredits, reverseRefund } from './refund';

export * from './credits.state';

/** One developer's credits stream. Each command is a use case in its own file of this folder. */
export function decide(command: CreditsCommand, state: CreditsState): CreditsEvent[] {
  switch (command.type) {
    case 'RecordPurchase':
      return recordPurchase(command, state);
    case 'GrantFreeTier':
      return grantFreeTier(command, state);
    case 'GrantCredits':
      return grantCredits(command, state);
    case 'CorrectCredits':
      return correctCredits(command, state);
    case 'ApproveCreditOperation':
      return approveCreditOperation(command, state);
    case 'RejectCreditOperation':
      return rejectCreditOperation(command, state);
    case 'RefundCredits':
      return refundCredits(command, state);
    case 'ReverseRefund':
      return reverseRefund(command, state);
    case 'FreezeDisputedCredits':
      return freezeDisputedCredits(command, state);
    case 'ReleaseDisputedCredits':
      return releaseDisputedCredits(command, state);
    case 'RecordDisputeLost':
      return recordDisputeLost(command, state);
    default:
      return assertNever(command);
  }
}

export const creditsDecider: Decider<CreditsState, CreditsCommand, CreditsEvent> = { initialState, decide, evolve };
