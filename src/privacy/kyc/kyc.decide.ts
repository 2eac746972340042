import { conflict, invalid, notFound } from '../../platform/errors/domain-error';
import { assertNever, Decider } from '../../platform/event-sourcing/decider';
import { KycEvent, KycStatus } from './kyc.events';

export const KYC_REASON_MAX = 500;
/** A person cannot fill the stream with submissions; support can reset by rejecting. */
export const KYC_SUBMISSIONS_MAX = 20;

export interface KycState {
  status: KycStatus;
  submissionId: string | null;
  submissions: number;
  /** The last submission's sealed masked forms (sealed with the profile key). */
  panMasked: string | null;
  aadhaarMasked: string | null;
  submittedAt: string | null;
  /** When the last decision (verified or rejected) was made: the retention window starts there. */
  decidedAt: string | null;
  rejectionReason: string | null;
  /** Vault subjects whose keys still exist. */
  liveSubjects: string[];
  numbersShreddedAt: string | null;
}

export type KycCommand =
  | { type: 'SubmitKyc'; submissionId: string; subject: string; pan: string; aadhaar: string; panMasked: string; aadhaarMasked: string; at: string }
  | { type: 'VerifyKyc'; at: string }
  | { type: 'RejectKyc'; reason: string; at: string }
  /** A fact: these subjects' vault keys were destroyed (the sweep checks the window first, with retentionEnded). */
  | { type: 'RecordKycNumbersShredded'; subjects: string[]; at: string };

const initialState = (): KycState => ({
  status: 'none',
  submissionId: null,
  submissions: 0,
  panMasked: null,
  aadhaarMasked: null,
  submittedAt: null,
  decidedAt: null,
  rejectionReason: null,
  liveSubjects: [],
  numbersShreddedAt: null,
});

/** True when the numbers' window has ended and some key still exists. */
export function retentionEnded(state: KycState, retentionMs: number, at: string): boolean {
  if (state.liveSubjects.length === 0 || state.decidedAt === null || state.status === 'submitted') return false;
  return Date.parse(at) >= Date.parse(state.decidedAt) + retentionMs;
}

function decide(command: KycCommand, state: KycState): KycEvent[] {
  switch (command.type) {
    case 'SubmitKyc':
      if (state.status === 'verified') throw conflict('kyc_already_verified', 'Your identity is already verified.');
      if (state.submissions >= KYC_SUBMISSIONS_MAX) throw conflict('kyc_too_many_submissions', 'Too many KYC submissions; contact support.');
      return [
        {
          type: 'KycSubmitted',
          data: {
            submissionId: command.submissionId,
            subject: command.subject,
            pan: command.pan,
            aadhaar: command.aadhaar,
            panMasked: command.panMasked,
            aadhaarMasked: command.aadhaarMasked,
            submittedAt: command.at,
          },
        },
      ];
    case 'VerifyKyc':
      if (state.status === 'none') throw notFound('kyc_not_submitted', 'This account has not submitted KYC details.');
      if (state.status === 'verified') return [];
      if (state.status !== 'submitted') throw conflict('kyc_not_pending', 'Only a submitted KYC can be verified; this one was rejected.');
      return [{ type: 'KycVerified', data: { submissionId: state.submissionId as string, verifiedAt: command.at } }];
    case 'RejectKyc':
      if (!command.reason.trim() || command.reason.length > KYC_REASON_MAX) throw invalid('reason_required', `A rejection needs a reason of 1..${KYC_REASON_MAX} characters.`);
      if (state.status === 'none') throw notFound('kyc_not_submitted', 'This account has not submitted KYC details.');
      if (state.status === 'rejected') return [];
      if (state.status !== 'submitted') throw conflict('kyc_not_pending', 'Only a submitted KYC can be rejected; this one is verified.');
      return [{ type: 'KycRejected', data: { submissionId: state.submissionId as string, reason: command.reason.trim(), rejectedAt: command.at } }];
    case 'RecordKycNumbersShredded': {
      const subjects = command.subjects.filter((s) => state.liveSubjects.includes(s));
      return subjects.length > 0 ? [{ type: 'KycNumbersShredded', data: { subjects, shreddedAt: command.at } }] : [];
    }
    default:
      return assertNever(command);
  }
}

function evolve(state: KycState, event: KycEvent): KycState {
  switch (event.type) {
    case 'KycSubmitted':
      return {
        ...state,
        status: 'submitted',
        submissionId: event.data.submissionId,
        submissions: state.submissions + 1,
        panMasked: event.data.panMasked,
        aadhaarMasked: event.data.aadhaarMasked,
        submittedAt: event.data.submittedAt,
        decidedAt: null,
        rejectionReason: null,
        liveSubjects: [...state.liveSubjects, event.data.subject],
        numbersShreddedAt: null,
      };
    case 'KycVerified':
      return { ...state, status: 'verified', decidedAt: event.data.verifiedAt };
    case 'KycRejected':
      return { ...state, status: 'rejected', decidedAt: event.data.rejectedAt, rejectionReason: event.data.reason };
    case 'KycNumbersShredded':
      return { ...state, liveSubjects: state.liveSubjects.filter((s) => !event.data.subjects.includes(s)), numbersShreddedAt: event.data.shreddedAt };
    default:
      return state; // events from later versions are ignored, never fatal
  }
}

export const kycDecider: Decider<KycState, KycCommand, KycEvent> = { initialState, decide, evolve };
