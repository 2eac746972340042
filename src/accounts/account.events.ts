import type { Role } from '../platform/access/roles';
import { DomainEvent } from '../platform/event-sourcing/decider';

export type SignInMethod = 'password' | 'google' | 'telegram' | 'cli';

/** Stream `account-{accountId}`. Personal fields are sealed (see PersonalDataVault); hashes are keyed. */
export type AccountEvent =
  | DomainEvent<
      'AccountRegistered',
      {
        accountId: string;
        emailHash: string;
        email: string | null;
        displayName: string | null;
        picture: string | null;
        via: SignInMethod;
        roles: Role[];
        registeredAt: string;
        /** A first Google/Telegram sign-in: only the eligibility step is open until EligibilityAttested. */
        eligibilityPending?: boolean;
      }
    >
  /**
   * Issue 22: the person confirmed being 18 or older (an attestation: no birth date is kept) and
   * accepted these versions of the terms and the privacy policy at `attestedAt`.
   */
  | DomainEvent<'EligibilityAttested', { over18: true; termsVersion: string; privacyVersion: string; attestedAt: string }>
  /** The versions in force when the account last signed in (continued use is acceptance, as the terms say). */
  | DomainEvent<'PolicyVersionsSeen', { termsVersion: string; privacyVersion: string; seenAt: string }>
  /** Accepted with a provider invite. */
  | DomainEvent<'ProviderTermsAccepted', { providerTermsVersion: string; inviteId: string; acceptedAt: string }>
  /** Staff were told the person is under 18: keys refused at once, deletion without the grace period. */
  | DomainEvent<'ReportedMinorFlagged', { flaggedAt: string; referenceId: string | null }>
  | DomainEvent<'PasswordChanged', { passwordHash: string; changedAt: string }>
  /** A new address, proven by a mailed link (issue 16); `email` sealed, `emailHash` keyed. */
  | DomainEvent<'EmailChanged', { emailHash: string; email: string; changedAt: string }>
  | DomainEvent<'ProfileUpdated', { displayName?: string | null; picture?: string | null; updatedAt: string }>
  | DomainEvent<'RoleGranted', { role: Role; grantedAt: string }>
  | DomainEvent<'RoleRevoked', { role: Role; revokedAt: string }>
  | DomainEvent<'AccountSuspended', { reason: string; suspendedAt: string }>
  | DomainEvent<'AccountReinstated', { reinstatedAt: string }>
  /**
   * P9. `dueAt`: when the deletion completes (requestedAt + the grace period in force then; absent
   * on early events, which complete after the current grace period). `channel`: the person
   * themselves, or staff acting on a request received by email (`note` sealed: it may quote them).
   */
  | DomainEvent<'DeletionRequested', { requestedAt: string; dueAt?: string; channel?: DeletionChannel; note?: string | null }>
  | DomainEvent<'DeletionCancelled', { cancelledAt: string }>
  /** The person's key is shredded right after this event; the read models drop the sealed fields. */
  | DomainEvent<'AccountDeleted', { requestedAt: string; deletedAt: string }>
  /** P10: API keys refused, data kept; the person can still sign in and lift it. */
  | DomainEvent<'ProcessingRestricted', { restrictedAt: string }>
  | DomainEvent<'ProcessingRestrictionLifted', { liftedAt: string }>;

export type DeletionChannel = 'self' | 'email';

export const accountStream = (accountId: string) => `account-${accountId}`;
