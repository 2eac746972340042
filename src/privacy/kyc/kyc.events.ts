import { DomainEvent } from '../../platform/event-sourcing/decider';

export type KycStatus = 'none' | 'submitted' | 'verified' | 'rejected';

/**
 * Stream `kyc-{accountId}`: the person's identity numbers and the staff decisions on them.
 * `pan`/`aadhaar` are sealed with the submission's own vault subject (`kycSubject`), shredded
 * when the retention window ends; the masked forms are sealed with the person's profile key, so
 * they outlive the numbers (support can still tell documents apart) and go with the person (P9).
 * Decisions carry the staff member as the event's actorId (P11).
 */
export type KycEvent =
  | DomainEvent<'KycSubmitted', { submissionId: string; subject: string; pan: string; aadhaar: string; panMasked: string; aadhaarMasked: string; submittedAt: string }>
  | DomainEvent<'KycVerified', { submissionId: string; verifiedAt: string }>
  | DomainEvent<'KycRejected', { submissionId: string; reason: string; rejectedAt: string }>
  /** The vault keys of these submissions were destroyed: their numbers are unreadable everywhere. */
  | DomainEvent<'KycNumbersShredded', { subjects: string[]; shreddedAt: string }>;

export const kycStream = (accountId: string) => `kyc-${accountId}`;
/** One vault subject per submission, so a later submission never needs a shredded key. */
export const kycSubject = (accountId: string, submissionId: string) => `kyc:${accountId}:${submissionId}`;
