import { z } from 'zod';
import { parseInstant } from '../../platform/http/dates';
import { coded, parsedWith, Time } from '../../platform/http/schema/fields';
import { EligibilityFields, eligibilityOf } from '../../accounts/eligibility/eligibility';
import { POLICY_SUMMARY_MAX, POLICY_URL_MAX } from '../policy.decide';
import { POLICY_KINDS, POLICY_VERSION } from '../policy.events';

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

/**
 * POST /admin/legal/:kind/versions. The version's pattern and the notice period are the decider's
 * rules (invalid_version, effective_too_soon …); the URL's is the service's (invalid_url). The
 * effective time is read by the one date parser and keeps its code, invalid_date.
 */
export const PublishPolicyVersionBody = z.strictObject({
  version: z
    .string()
    .min(1)
    .max(40)
    .meta({ pattern: POLICY_VERSION.source, examples: ['2027-01'] }),
  effectiveAt: z
    .string()
    .max(40)
    .meta({ description: "ISO-8601 time with a zone: at least POLICY_NOTICE_DAYS after now, and after the previous version's.", examples: ['2027-01-01T00:00:00Z'] })
    .transform(parsedWith(parseInstant)),
  url: z
    .string()
    .min(1)
    .max(POLICY_URL_MAX)
    .meta({ description: 'An https:// URL.', examples: ['https://example.com/legal/terms/2027-01'] }),
  summary: z.string().min(1).max(POLICY_SUMMARY_MAX).describe('What changed: quoted in the notice mailed to every account'),
});

const PublishedVersion = z.object({
  version: z.string(),
  effectiveAt: Time,
  url: z.string(),
  summary: z.string(),
  publishedAt: Time,
});

/** POST /admin/legal/:kind/versions answers the version published. */
export const PublishedPolicyVersion = z.object({ kind: z.enum(POLICY_KINDS), ...PublishedVersion.shape });

/** GET /legal/:kind. */
export const PolicyDocumentView = z.object({
  kind: z.enum(POLICY_KINDS),
  inForce: z.object({
    version: z.string(),
    effectiveAt: Time.nullable(),
    url: z.string().nullable(),
    source: z.enum(['published', 'configured']).describe("configured: nothing published yet, the deployment's configured version"),
  }),
  upcoming: z.array(PublishedVersion).describe('Published, not yet in force (oldest first)'),
  earlier: z.array(PublishedVersion).describe('In force before the current one (newest first)'),
});

/** A ticket or case id, never free text: it stays in the events after the person's data is shredded. */
const REFERENCE_ID = /^[A-Za-z0-9_.:-]{1,100}$/;

/** POST /admin/accounts/:id/reported-minor: the body is optional, and so is its one field. */
export const ReportedMinorBody = z
  .strictObject({
    referenceId: z
      .string()
      .max(100)
      .meta({ pattern: REFERENCE_ID.source, description: 'The support ticket or case id (letters, digits, _ . : -; no personal data)', examples: ['ticket-4821'] })
      .superRefine((id, ctx) => {
        if (!REFERENCE_ID.test(id)) coded(ctx, 'invalid_body', '{field} must be a ticket or case id: 1..100 letters, digits, "_", ".", ":" or "-" (no personal data).');
      })
      .nullable()
      .optional(),
  })
  .optional();

export const ReportedMinorOutcome = z.object({
  accountId: z.string(),
  shredded: z.boolean().describe('Personal data key shredded by this call'),
  revokedKeys: z.number().int(),
  endedSessions: z.number().int(),
});
