import { z } from 'zod';
import { EligibilityFields, eligibilityOf } from '../eligibility';

/** POST /me/eligibility: the attestation alone (eligibility.ts names everything missing at once). */
export const EligibilityBody = z.strictObject(EligibilityFields).transform((body, ctx) => eligibilityOf(body, ctx));

/** GET /me/eligibility: whether the step is still to do, and what to accept. */
export const EligibilityStatus = z.object({
  status: z.enum(['pending', 'attested', 'legacy']).describe('legacy: an account from before the step existed'),
  termsVersion: z.string().describe('The terms in force'),
  privacyVersion: z.string().describe('The privacy policy in force'),
  termsSeen: z.string().nullable().describe('The terms version this account accepted last'),
  privacySeen: z.string().nullable(),
});
