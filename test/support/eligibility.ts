import { EligibilityInput } from '../../src/accounts/eligibility/eligibility';

/**
 * Issue 22: what every sign-up in the tests confirms — 18 or older, and the terms and privacy
 * policy in force. '1' is the configured version of both (TERMS_VERSION, PRIVACY_VERSION) while
 * nothing has been published.
 */
export const AGREED: EligibilityInput = { over18: true, termsVersion: '1', privacyVersion: '1' };

/** The provider terms accepted with an invite: the configured version (PROVIDER_TERMS_VERSION) in force. */
export const PROVIDER_TERMS_AGREED = '1';
