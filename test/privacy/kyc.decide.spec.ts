import { kycDecider, retentionEnded } from '../../src/privacy/kyc/kyc.decide';
import { KycEvent } from '../../src/privacy/kyc/kyc.events';
import { given } from '../support/decider-spec';

const AT = '2026-01-01T00:00:00.000Z';
const submit = (n: number) => ({
  type: 'SubmitKyc' as const,
  submissionId: `s${n}`,
  subject: `kyc:a:s${n}`,
  pan: 'pd1.p',
  aadhaar: 'pd1.a',
  panMasked: 'pd1.pm',
  aadhaarMasked: 'pd1.am',
  at: AT,
});
const submitted = (n: number): KycEvent => ({
  type: 'KycSubmitted',
  data: { submissionId: `s${n}`, subject: `kyc:a:s${n}`, pan: 'pd1.p', aadhaar: 'pd1.a', panMasked: 'pd1.pm', aadhaarMasked: 'pd1.am', submittedAt: AT },
});
const verified: KycEvent = { type: 'KycVerified', data: { submissionId: 's1', verifiedAt: AT } };
const rejected: KycEvent = { type: 'KycRejected', data: { submissionId: 's1', reason: 'blurry', rejectedAt: AT } };

describe('KYC decider', () => {
  it('records a submission, and a new one after a rejection, but not after verification', () => {
    given(kycDecider, [])
      .when(submit(1))
      .then([submitted(1)]);
    given(kycDecider, [submitted(1), rejected])
      .when(submit(2))
      .then([submitted(2)]);
    given(kycDecider, [submitted(1), verified])
      .when(submit(2))
      .thenRefuses('kyc_already_verified');
    given(
      kycDecider,
      Array.from({ length: 20 }, (_, i) => submitted(i)),
    )
      .when(submit(21))
      .thenRefuses('kyc_too_many_submissions');
  });

  it('verifies or rejects only a pending submission; repeats are no-ops', () => {
    given(kycDecider, []).when({ type: 'VerifyKyc', at: AT }).thenRefuses('kyc_not_submitted');
    given(kycDecider, [submitted(1)])
      .when({ type: 'VerifyKyc', at: AT })
      .then([verified]);
    given(kycDecider, [submitted(1), verified])
      .when({ type: 'VerifyKyc', at: AT })
      .then([]);
    given(kycDecider, [submitted(1), rejected])
      .when({ type: 'VerifyKyc', at: AT })
      .thenRefuses('kyc_not_pending');
    given(kycDecider, [submitted(1)])
      .when({ type: 'RejectKyc', reason: ' ', at: AT })
      .thenRefuses('reason_required');
    given(kycDecider, [submitted(1)])
      .when({ type: 'RejectKyc', reason: ' blurry ', at: AT })
      .then([rejected]);
    given(kycDecider, [submitted(1), verified])
      .when({ type: 'RejectKyc', reason: 'x', at: AT })
      .thenRefuses('kyc_not_pending');
  });

  it('records only shredded subjects that were still live', () => {
    given(kycDecider, [submitted(1), verified])
      .when({ type: 'RecordKycNumbersShredded', subjects: ['kyc:a:s1', 'kyc:a:other'], at: AT })
      .then([{ type: 'KycNumbersShredded', data: { subjects: ['kyc:a:s1'], shreddedAt: AT } }]);
    const shredded: KycEvent = { type: 'KycNumbersShredded', data: { subjects: ['kyc:a:s1'], shreddedAt: AT } };
    given(kycDecider, [submitted(1), verified, shredded])
      .when({ type: 'RecordKycNumbersShredded', subjects: ['kyc:a:s1'], at: AT })
      .then([]);
  });

  it('ends the window KYC_RETENTION_DAYS after the last decision, never while a submission is pending', () => {
    const fold = (events: KycEvent[]) => events.reduce(kycDecider.evolve, kycDecider.initialState());
    const day = 86_400_000;
    expect(retentionEnded(fold([submitted(1), verified]), day, '2026-01-01T23:59:59.999Z')).toBe(false);
    expect(retentionEnded(fold([submitted(1), verified]), day, '2026-01-02T00:00:00.000Z')).toBe(true);
    expect(retentionEnded(fold([submitted(1), rejected]), day, '2026-01-03T00:00:00.000Z')).toBe(true);
    expect(retentionEnded(fold([submitted(1), rejected, submitted(2)]), day, '2027-01-01T00:00:00.000Z')).toBe(false);
    expect(retentionEnded(fold([submitted(1), verified, { type: 'KycNumbersShredded', data: { subjects: ['kyc:a:s1'], shreddedAt: AT } }]), day, '2027-01-01T00:00:00.000Z')).toBe(
      false,
    );
  });
});
