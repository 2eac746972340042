import { conflict, forbidden, invalid, notFound } from '../../platform/errors/domain-error';
import { CreditOperationKind, CreditsEvent } from '../credits.events';
import { developerAccount, PLATFORM_ACCOUNTS } from '../ledger-accounts';
import { checkPositiveAmount } from '../../platform/money';
import { assertBalanced, transfer } from '../postings';
import { ApproveCreditOperation, checkOperationId, checkReason, CorrectCredits, CreditsState, GrantCredits, RejectCreditOperation } from './credits.state';

/** Staff gives credits; above the approval threshold it is only a request until a second staff member approves. */
export function grantCredits(command: GrantCredits, state: CreditsState): CreditsEvent[] {
  checkOperationId(command.grantId, 'grantId');
  if (state.operations[command.grantId] || state.pending[command.grantId]) return [];
  const amount = checkPositiveAmount(command.amountMicroUsd);
  const reason = checkReason(command.reason);
  if (amount > command.approvalThresholdMicroUsd) return [operationRequested(command.accountId, command.grantId, 'grant', amount, reason, command.requestedBy, command.at)];
  return [granted(command.accountId, command.grantId, amount, reason, command.at, null)];
}

/** Staff corrects a balance in either direction; only adding credits above the threshold needs approval. */
export function correctCredits(command: CorrectCredits, state: CreditsState): CreditsEvent[] {
  checkOperationId(command.correctionId, 'correctionId');
  if (state.operations[command.correctionId] || state.pending[command.correctionId]) return [];
  const amount = command.amountMicroUsd;
  if (amount === 0n) throw invalid('invalid_amount', 'A correction must change the balance.');
  checkPositiveAmount(amount < 0n ? -amount : amount);
  const reason = checkReason(command.reason);
  // Adding credits is money leaving the platform; taking them away needs no second pair of eyes.
  if (amount > command.approvalThresholdMicroUsd)
    return [operationRequested(command.accountId, command.correctionId, 'correction', amount, reason, command.requestedBy, command.at)];
  return [corrected(command.accountId, command.correctionId, amount, reason, command.at, null)];
}

/** A second staff member (not the requester, not the payee) approves a pending grant or correction. */
export function approveCreditOperation(command: ApproveCreditOperation, state: CreditsState): CreditsEvent[] {
  if (state.operations[command.operationId]) return []; // approved already (or never needed it)
  const op = state.pending[command.operationId];
  if (!op) throw notFound('approval_not_found', 'No grant or correction with this id is waiting for approval on this account.');
  if (op.status === 'rejected') throw conflict('approval_rejected', 'This request was rejected.');
  if (command.approverId === op.requestedBy) throw forbidden('self_approval', 'A second staff member must approve this; the one who requested it cannot.');
  if (command.approverId === command.accountId) throw forbidden('payee_cannot_approve', 'Credits for your own account need another staff member.');
  const approval = { requestedBy: op.requestedBy, approvedBy: command.approverId };
  return [
    op.kind === 'grant'
      ? granted(command.accountId, command.operationId, op.amountMicroUsd, op.reason, command.at, approval)
      : corrected(command.accountId, command.operationId, op.amountMicroUsd, op.reason, command.at, approval),
  ];
}

/** A pending grant or correction is turned down. */
export function rejectCreditOperation(command: RejectCreditOperation, state: CreditsState): CreditsEvent[] {
  const op = state.pending[command.operationId];
  if (!op || state.operations[command.operationId]) throw notFound('approval_not_found', 'No grant or correction with this id is waiting for approval on this account.');
  if (op.status === 'rejected') return [];
  return [
    {
      type: 'CreditOperationRejected',
      data: {
        accountId: command.accountId,
        operationId: command.operationId,
        kind: op.kind,
        reason: checkReason(command.reason),
        rejectedBy: command.rejectedBy,
        rejectedAt: command.at,
      },
    },
  ];
}

type Approval = { requestedBy: string; approvedBy: string } | null;

function operationRequested(accountId: string, operationId: string, kind: CreditOperationKind, amount: bigint, reason: string, requestedBy: string, at: string): CreditsEvent {
  return { type: 'CreditOperationRequested', data: { accountId, operationId, kind, amountMicroUsd: amount.toString(), reason, requestedBy, requestedAt: at } };
}

function granted(accountId: string, grantId: string, amount: bigint, reason: string, at: string, approval: Approval): CreditsEvent {
  return {
    type: 'CreditsGranted',
    data: {
      accountId,
      grantId,
      amountMicroUsd: amount.toString(),
      reason,
      grantedAt: at,
      ...approval,
      postings: assertBalanced(transfer(PLATFORM_ACCOUNTS.promotions, developerAccount(accountId), amount)),
    },
  };
}

function corrected(accountId: string, correctionId: string, amount: bigint, reason: string, at: string, approval: Approval): CreditsEvent {
  const developer = developerAccount(accountId);
  const postings = amount > 0n ? transfer(PLATFORM_ACCOUNTS.corrections, developer, amount) : transfer(developer, PLATFORM_ACCOUNTS.corrections, -amount);
  return {
    type: 'CreditsCorrected',
    data: {
      accountId,
      correctionId,
      amountMicroUsd: amount.toString(),
      reason,
      // Taking credits away spends them like usage does: through a hold with this id.
      holdId: amount < 0n ? correctionId : null,
      correctedAt: at,
      ...approval,
      postings: assertBalanced(postings),
    },
  };
}
