import { z } from 'zod';
import { KYC_REASON_MAX } from './kyc.decide';

/** PUT /me/kyc. Format and check digit are the decider's (invalid_pan, invalid_aadhaar). */
export const SubmitKyc = z.strictObject({
  pan: z.string().min(1).max(20).describe('PAN, e.g. ABCDE1234F; stored only sealed.'),
  aadhaar: z.string().min(1).max(20).describe('Aadhaar, 12 digits (spaces allowed); stored only sealed.'),
});

/** POST /admin/accounts/:id/kyc/reject. */
export const RejectKyc = z.strictObject({ reason: z.string().min(1).max(KYC_REASON_MAX).describe('Shown to the person.') });

/** What the person and staff read: numbers masked, never in clear. */
export const KycView = z.strictObject({
  status: z.enum(['submitted', 'verified', 'rejected']),
  pan: z.string().nullable().meta({ example: 'ABCDE****F' }),
  aadhaar: z.string().nullable().meta({ example: 'XXXX XXXX 1234' }),
  submittedAt: z.iso.datetime(),
  decidedAt: z.iso.datetime().nullable(),
  decidedBy: z.string().nullable().optional().describe('Staff only: who verified or rejected it.'),
  rejectionReason: z.string().nullable(),
  numbersShreddedAt: z.iso.datetime().nullable().describe("When the numbers' key was destroyed at the end of the retention window; null while kept."),
});
export type KycView = z.infer<typeof KycView>;
