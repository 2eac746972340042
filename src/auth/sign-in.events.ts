import { SignInMethod } from '../accounts/account.events';
import { DomainEvent } from '../event-sourcing/decider';

/**
 * Stream `signins-{accountId}`: one SignedIn per successful sign-in (policy P16). The IP and
 * user agent are sealed with the person's key, so deleting the person makes them unreadable.
 */
export type SignInEvent = DomainEvent<'SignedIn', {
  method: SignInMethod;
  /** Sealed (PersonalDataVault), or null when unknown. */
  ip: string | null;
  /** Sealed (PersonalDataVault), or null when the client sent none. */
  userAgent: string | null;
  signedInAt: string;
}>;

export const signInStream = (accountId: string) => `signins-${accountId}`;

/**
 * Stream `signins-{accountId}`: appended by the retention sweep when every sign-in in the
 * stream is past SIGNIN_RETENTION_DAYS, so they can all be removed (a stream keeps its last
 * event, which carries its revision on). Holds no personal data.
 */
export type SignInRecordsRemoved = DomainEvent<'SignInRecordsRemoved', {
  /** The sign-ins before this event (revisions 0..this) are removed. */
  throughRevision: string;
  olderThan: string;
  removedAt: string;
}>;
