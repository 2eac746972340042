import { accountDecider, deletionDueAt } from '../../src/accounts/account.decide';
import { AccountEvent } from '../../src/accounts/account.events';
import { given } from '../support/decider-spec';

const at = '2027-01-01T00:00:00.000Z';
const later = '2027-02-01T00:00:00.000Z';
const base = { accountId: 'a1', emailHash: 'h', email: 'pd1.x', displayName: null, picture: null, roles: ['developer' as const], registeredAt: at };
const registered: AccountEvent = { type: 'AccountRegistered', data: { ...base, via: 'password' } };
const pendingRegistered: AccountEvent = { type: 'AccountRegistered', data: { ...base, via: 'telegram', eligibilityPending: true } };
const attestation = { over18: true as const, termsVersion: 't-1', privacyVersion: 'p-1', attestedAt: at };
const attested: AccountEvent = { type: 'EligibilityAttested', data: attestation };
const register = { type: 'RegisterAccount' as const, accountId: 'a1', emailHash: 'h', email: 'pd1.x', displayName: null, picture: null, roles: [], passwordHash: null, at };

describe('account decider: eligibility and agreements (issue 22)', () => {
  it('a sign-up records the attestation among its first events; pending only for Google and Telegram', () => {
    given(accountDecider, [])
      .when({ ...register, via: 'password', eligibility: attestation })
      .then([registered, attested]);
    given(accountDecider, [])
      .when({ ...register, via: 'telegram', eligibility: 'pending' })
      .then([pendingRegistered]);
    given(accountDecider, [])
      .when({ ...register, via: 'password', eligibility: 'pending' })
      .thenRefuses('eligibility_required');
    given(accountDecider, [])
      .when({ ...register, via: 'cli', eligibility: 'pending' })
      .thenRefuses('eligibility_required');
    given(accountDecider, [])
      .when({ ...register, via: 'cli', eligibility: { ...attestation, over18: false as unknown as true } })
      .thenRefuses('eligibility_required');
  });

  it('a pending account attests once; an attested or older account is unchanged', () => {
    given(accountDecider, [pendingRegistered]).when({ type: 'AttestEligibility', attestation, at }).then([attested]);
    given(accountDecider, [pendingRegistered, attested]).when({ type: 'AttestEligibility', attestation, at }).then([]);
    given(accountDecider, [registered]).when({ type: 'AttestEligibility', attestation, at }).then([]);
  });

  it('versions seen are recorded when they change, never for a pending account (it accepted nothing)', () => {
    const seen = (terms: string) => ({ type: 'RecordPolicyVersionsSeen' as const, termsVersion: terms, privacyVersion: 'p-1', at: later });
    given(accountDecider, [registered, attested]).when(seen('t-1')).then([]);
    given(accountDecider, [registered, attested])
      .when(seen('t-2'))
      .then([{ type: 'PolicyVersionsSeen', data: { termsVersion: 't-2', privacyVersion: 'p-1', seenAt: later } }]);
    given(accountDecider, [pendingRegistered]).when(seen('t-2')).then([]);
    given(accountDecider, [registered])
      .when(seen('t-1'))
      .then([{ type: 'PolicyVersionsSeen', data: { termsVersion: 't-1', privacyVersion: 'p-1', seenAt: later } }]); // legacy account
  });

  it('a reported minor is due for deletion at once, with no request and no grace period', () => {
    const flagged: AccountEvent = { type: 'ReportedMinorFlagged', data: { flaggedAt: later, referenceId: 'ticket-1' } };
    given(accountDecider, [registered, attested]).when({ type: 'FlagReportedMinor', referenceId: 'ticket-1', at: later }).then([flagged]);
    given(accountDecider, [registered, attested, flagged]).when({ type: 'FlagReportedMinor', referenceId: 'ticket-2', at: later }).then([]);
    given(accountDecider, [registered, attested, flagged])
      .when({ type: 'CompleteDeletion', graceDays: 30, at: later })
      .then([{ type: 'AccountDeleted', data: { requestedAt: later, deletedAt: later } }]);
    given(accountDecider, [registered, attested, flagged]).when({ type: 'CompleteDeletion', graceDays: 30, at: '2027-01-31T23:59:59.999Z' }).thenRefuses('grace_period_running');
    const state = [registered, attested, flagged].reduce(accountDecider.evolve, accountDecider.initialState());
    expect(deletionDueAt(state, 30)).toBe(later);
  });
});
