import { SignInMethod } from '../accounts/account.events';
import { DomainEvent } from '../platform/event-sourcing/decider';

/**
 * Stream `signins-{accountId}`: one SignedIn per successful sign-in (policy P16). The IP and
 * user agent are sealed with the person's key, so deleting the person makes them unreadable.
 */
export type SignInEvent = DomainEvent<
  'SignedIn',
  {
    method: SignInMethod;
    /** Sealed (PersonalDataVault), or null when unknown. */
    ip: string | null;
    /** Sealed (PersonalDataVault), or null when the client sent none. */
    userAgent: string | null;
    signedInAt: string;
  }
>;

export const signInStream = (accountId: string) => `signins-${accountId}`;

/**
 * Stream `signins-{accountId}`: appended by the retention sweep before it removes the sign-ins
 * past SIGNIN_RETENTION_DAYS (revisions 0..throughRevision). It says what the stream holds from
 * then on, so read models (the stream index) come out the same built live or rebuilt after the
 * removal; when every sign-in is old it is the one event left. Holds no personal data.
 */
export type SignInRecordsRemoved = DomainEvent<
  'SignInRecordsRemoved',
  {
    throughRevision: string;
    /** The first event kept and its store time; null: this event (nothing else is kept). */
    keptFromRevision: string | null;
    keptFromCreatedAt: string | null;
    olderThan: string;
    removedAt: string;
  }
>;

/**
 * Stream `signins-{accountId}`: the person ended one of their sessions from the sessions list
 * (`POST /me/sessions/:id/revoke`). `sessionId` is the list's public id (a keyed hash of the
 * session, never the session itself); no device or address is repeated here.
 */
export type SessionRevoked = DomainEvent<
  'SessionRevoked',
  {
    sessionId: string;
    method: string;
    /** The caller ended the session they were using (a sign-out from the list). */
    current: boolean;
    revokedAt: string;
  }
>;
