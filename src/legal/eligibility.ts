import { invalid } from '../platform/errors/domain-error';
import { JsonBody } from '../platform/http/request-body';
import { POLICY_VERSION } from './policy.events';

/** The fields every sign-up (and the eligibility step of a first Google/Telegram sign-in) carries. */
export const ELIGIBILITY_FIELDS = ['over18', 'termsVersion', 'privacyVersion'] as const;

export interface EligibilityInput {
  over18: true;
  termsVersion: string;
  privacyVersion: string;
}

/**
 * Reads the attestation from a body, naming everything missing at once: `over18` must be `true`
 * (the person confirms being 18 or older; no birth date is asked or kept), and the versions of the
 * terms and privacy policy accepted (those in force: GET /legal/terms, GET /legal/privacy).
 */
export function readEligibility(body: JsonBody): EligibilityInput {
  const missing: string[] = [];
  if (body.over18 !== true) missing.push('over18 (must be true: you confirm you are 18 or older)');
  for (const [field, doc] of [
    ['termsVersion', 'terms'],
    ['privacyVersion', 'privacy'],
  ] as const) {
    const value = body[field];
    if (typeof value !== 'string' || !POLICY_VERSION.test(value)) missing.push(`${field} (the version of the ${doc} you accept, from GET /legal/${doc})`);
  }
  if (missing.length > 0) throw invalid('eligibility_required', `To sign up, confirm your age and accept the terms and privacy policy. Missing or invalid: ${missing.join('; ')}.`);
  return { over18: true, termsVersion: body.termsVersion as string, privacyVersion: body.privacyVersion as string };
}
