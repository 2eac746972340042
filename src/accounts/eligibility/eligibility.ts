import { z } from 'zod';
import { coded } from '../../platform/http/schema/fields';
import { POLICY_VERSION } from './policy-version';

export interface EligibilityInput {
  over18: true;
  termsVersion: string;
  privacyVersion: string;
}

/**
 * The fields every sign-up (and the eligibility step of a first Google/Telegram sign-in) carries.
 * Any value passes the shape: `eligibilityOf` names everything missing or wrong at once, with its
 * own code (eligibility_required), rather than the first bad field as invalid_body.
 */
export const EligibilityFields = {
  over18: z
    .unknown()
    .optional()
    .meta({ type: 'boolean', enum: [true], description: 'The person confirms being 18 or older (an attestation; no birth date is kept)' }),
  termsVersion: z.unknown().optional().meta({ type: 'string', example: '1', description: 'The version of the terms accepted: the one in force (GET /legal/terms)' }),
  privacyVersion: z.unknown().optional().meta({ type: 'string', example: '1', description: 'The version of the privacy policy accepted: the one in force (GET /legal/privacy)' }),
};

/**
 * Reads the attestation from a checked body, naming everything missing at once: `over18` must be
 * `true` (the person confirms being 18 or older; no birth date is asked or kept), and the versions
 * of the terms and privacy policy accepted (those in force: GET /legal/terms, GET /legal/privacy).
 * For a schema's `.transform`: a refusal is reported on ctx and answers z.NEVER.
 */
export function eligibilityOf(body: { over18?: unknown; termsVersion?: unknown; privacyVersion?: unknown }, ctx: z.core.$RefinementCtx): EligibilityInput {
  const missing: string[] = [];
  if (body.over18 !== true) missing.push('over18 (must be true: you confirm you are 18 or older)');
  for (const [field, doc] of [
    ['termsVersion', 'terms'],
    ['privacyVersion', 'privacy'],
  ] as const) {
    const value = body[field];
    if (typeof value !== 'string' || !POLICY_VERSION.test(value)) missing.push(`${field} (the version of the ${doc} you accept, from GET /legal/${doc})`);
  }
  if (missing.length > 0) {
    coded(ctx, 'eligibility_required', `To sign up, confirm your age and accept the terms and privacy policy. Missing or invalid: ${missing.join('; ')}.`);
    return z.NEVER;
  }
  return { over18: true, termsVersion: body.termsVersion as string, privacyVersion: body.privacyVersion as string };
}
