import { RecordedEvent } from '../../platform/event-store/event-store.port';
import { formatUsd } from '../../platform/money';
import { MailCategory } from '../mail/outgoing-mail';
import { RenderedMail } from '../templates/layout';
import { deletionScheduledMail } from '../templates/deletion-scheduled';
import { emailChangedMail } from '../templates/email-change';
import { newSignInMail } from '../templates/new-sign-in';
import { disputeClosedMail, disputeOpenedMail, refundProcessedMail } from '../templates/billing-notices';
import { paymentReceiptMail } from '../templates/payment-receipt';
import { nodeSuspendedMail, payoutApprovedMail, payoutPaidMail } from '../templates/provider-notices';
import { accountReinstatedMail, accountSuspendedMail, apiKeyCreatedMail, apiKeyRevokedMail, passwordChangedMail } from '../templates/security-notices';

/** The events that cause a notice: the subscription asks the store for these only. */
export const NOTICE_EVENT_TYPES = [
  'ApiKeyIssued',
  'ApiKeyRevoked',
  'PasswordChanged',
  'EmailChanged',
  'AccountSuspended',
  'AccountReinstated',
  'CreditsPurchased',
  'CreditsRefunded',
  'DisputeFundsFrozen',
  'DisputeFundsReleased',
  'DisputeLost',
  'DeletionRequested',
  'PayoutApproved',
  'PayoutPaid',
  'NodeSuspended',
  'SignedIn',
] as const;

export interface Notice {
  accountId: string;
  category: MailCategory;
  mail: RenderedMail;
  /** Mail the address the account had before this revision (an email change tells the old address). */
  addressBefore?: bigint;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
/** `account-{id}` or `signins-{id}` → id (their events do not repeat it in their data). */
const accountOf = (event: RecordedEvent): string => (typeof event.data.accountId === 'string' ? event.data.accountId : event.stream.replace(/^(account|signins)-/, ''));
const SIGN_IN_METHODS: Record<string, string> = { password: 'a password', google: 'Google', telegram: 'Telegram' };

/**
 * What to mail for one event, or null. Pure: the reactor passes what it looked up (a revoked
 * key's name and prefix, a suspended node's provider, from their own streams).
 */
export function noticeFor(
  event: RecordedEvent,
  context: { publicUrl: string; revokedKey?: { name: string; prefix: string }; nodeProviderId?: string; newDevice?: string },
): Notice | null {
  const d = event.data;
  const at = text(
    d.issuedAt ||
      d.signedInAt ||
      d.revokedAt ||
      d.changedAt ||
      d.suspendedAt ||
      d.reinstatedAt ||
      d.purchasedAt ||
      d.refundedAt ||
      d.frozenAt ||
      d.releasedAt ||
      d.lostAt ||
      d.requestedAt ||
      d.approvedAt ||
      d.paidAt,
  );
  const usd = (field: unknown) => formatUsd(BigInt(text(field) || '0'));
  switch (event.type) {
    case 'ApiKeyIssued':
      return { accountId: accountOf(event), category: 'security', mail: apiKeyCreatedMail({ name: text(d.name), prefix: text(d.prefix), at }) };
    case 'ApiKeyRevoked':
      // A rotation is told by the new key's notice; a deletion's revocations go to nobody (the address is shredded).
      if (d.reason !== 'revoked') return null;
      return {
        accountId: accountOf(event),
        category: 'security',
        mail: apiKeyRevokedMail({ name: context.revokedKey?.name ?? '', prefix: context.revokedKey?.prefix ?? text(d.keyId), at }),
      };
    case 'PasswordChanged':
      // Revision 1: the password a sign-up set, recorded right after the registration; not a change.
      if (event.revision <= 1n) return null;
      return { accountId: accountOf(event), category: 'security', mail: passwordChangedMail({ at }) };
    case 'EmailChanged':
      return { accountId: accountOf(event), category: 'security', mail: emailChangedMail({ at }), addressBefore: event.revision };
    case 'AccountSuspended':
      return { accountId: accountOf(event), category: 'security', mail: accountSuspendedMail({ reason: text(d.reason), at }) };
    case 'AccountReinstated':
      return { accountId: accountOf(event), category: 'security', mail: accountReinstatedMail({ at }) };
    case 'CreditsPurchased':
      return {
        accountId: accountOf(event),
        category: 'billing',
        mail: paymentReceiptMail({ creditsUsd: usd(d.amountMicroUsd), paymentId: text(d.paymentId), orderId: typeof d.orderId === 'string' ? d.orderId : null, at }),
      };
    case 'CreditsRefunded':
      return { accountId: accountOf(event), category: 'billing', mail: refundProcessedMail({ amountUsd: usd(d.amountMicroUsd), paymentId: text(d.paymentId), at }) };
    case 'DisputeFundsFrozen':
      return {
        accountId: accountOf(event),
        category: 'billing',
        mail: disputeOpenedMail({ disputedUsd: usd(d.disputedMicroUsd), frozenUsd: usd(d.frozenMicroUsd), paymentId: text(d.paymentId), at }),
      };
    case 'DisputeFundsReleased':
      return { accountId: accountOf(event), category: 'billing', mail: disputeClosedMail({ won: true, amountUsd: usd(d.amountMicroUsd), paymentId: text(d.paymentId), at }) };
    case 'DisputeLost':
      return { accountId: accountOf(event), category: 'billing', mail: disputeClosedMail({ won: false, amountUsd: usd(d.disputedMicroUsd), paymentId: text(d.paymentId), at }) };
    case 'PayoutApproved':
      return { accountId: text(d.providerId), category: 'provider', mail: payoutApprovedMail({ payoutId: text(d.payoutId), at }) };
    case 'PayoutPaid':
      return {
        accountId: text(d.providerId),
        category: 'provider',
        mail: payoutPaidMail({ payoutId: text(d.payoutId), amountUsd: usd(d.amountMicroUsd), reference: text(d.reference), at }),
      };
    case 'NodeSuspended':
      if (!context.nodeProviderId) return null;
      return { accountId: context.nodeProviderId, category: 'provider', mail: nodeSuspendedMail({ nodeId: text(d.nodeId), reason: text(d.reason), at }) };
    case 'SignedIn':
      if (!context.newDevice) return null;
      return {
        accountId: accountOf(event),
        category: 'security',
        mail: newSignInMail({ method: SIGN_IN_METHODS[text(d.method)] ?? text(d.method), device: context.newDevice, at }),
      };
    case 'DeletionRequested':
      return {
        accountId: accountOf(event),
        category: 'privacy',
        mail: deletionScheduledMail({ dueAt: text(d.dueAt) || 'the end of the grace period', cancelUrl: context.publicUrl }),
      };
    default:
      return null;
  }
}
