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
