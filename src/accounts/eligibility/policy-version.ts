/**
 * Version strings of the terms and policies, as published and as accepted at sign-up (also the
 * configured fallbacks). Here, with the attestation that records them, because accounts/ must not
 * import legal/ (which publishes them and imports accounts/); legal/policy.events.ts re-exports it.
 */
export const POLICY_VERSION = /^[A-Za-z0-9._-]{1,40}$/;
