import { accountDecider } from '../../src/accounts/account.decide';
import { AccountEvent } from '../../src/accounts/account.events';
import { given } from '../support/decider-spec';

const at = '2026-11-22T10:00:00.000Z';
const registered: AccountEvent = {
  type: 'AccountRegistered',
  data: { accountId: 'a1', emailHash: 'h', email: 'pd1.x', displayName: null, picture: null, via: 'password', roles: ['developer'], registeredAt: at },
};
const attestation = { over18: true as const, termsVersion: '1', privacyVersion: '1', attestedAt: at };
const attested: AccountEvent = { type: 'EligibilityAttested', data: attestation };
const register = {
  type: 'RegisterAccount' as const,
  accountId: 'a1',
  emailHash: 'h',
  email: 'pd1.x',
  displayName: null,
  picture: null,
  via: 'password' as const,
  roles: [],
  passwordHash: null,
  eligibility: attestation,
  at,
};

describe('account decider', () => {
  it('registers with the developer role, and a password when one is given', () => {
    given(accountDecider, []).when(register).then([registered, attested]);
    given(accountDecider, [])
      .when({ ...register, passwordHash: 'scrypt$x' })
      .then([registered, { type: 'PasswordChanged', data: { passwordHash: 'scrypt$x', changedAt: at } }, attested]);
  });
  it('refuses a second registration and commands on a missing account', () => {
    given(accountDecider, [registered]).when(register).thenRefuses('account_exists');
    given(accountDecider, []).when({ type: 'SuspendAccount', reason: 'spam', at }).thenRefuses('account_not_found');
  });
  it('makes role changes idempotent and keeps developer for everyone', () => {
    const granted: AccountEvent = { type: 'RoleGranted', data: { role: 'finance', grantedAt: at } };
    given(accountDecider, [registered, granted]).when({ type: 'GrantRole', role: 'finance', at }).then([]);
    given(accountDecider, [registered, granted])
      .when({ type: 'RevokeRole', role: 'finance', at })
      .then([{ type: 'RoleRevoked', data: { role: 'finance', revokedAt: at } }]);
    given(accountDecider, [registered]).when({ type: 'RevokeRole', role: 'admin', at }).then([]);
    given(accountDecider, [registered]).when({ type: 'RevokeRole', role: 'developer', at }).thenRefuses('developer_role_permanent');
  });
  it('suspends with a reason, once, and reinstates', () => {
    const suspended: AccountEvent = { type: 'AccountSuspended', data: { reason: 'abuse', suspendedAt: at } };
    given(accountDecider, [registered]).when({ type: 'SuspendAccount', reason: ' ', at }).thenRefuses('reason_required');
    given(accountDecider, [registered]).when({ type: 'SuspendAccount', reason: 'abuse', at }).then([suspended]);
    given(accountDecider, [registered, suspended]).when({ type: 'SuspendAccount', reason: 'again', at }).then([]);
    given(accountDecider, [registered, suspended])
      .when({ type: 'ReinstateAccount', at })
      .then([{ type: 'AccountReinstated', data: { reinstatedAt: at } }]);
    given(accountDecider, [registered]).when({ type: 'ReinstateAccount', at }).then([]);
  });
  it('changes the email once per new address, never of a suspended account', () => {
    const changed: AccountEvent = { type: 'EmailChanged', data: { emailHash: 'h2', email: 'pd1.y', changedAt: at } };
    given(accountDecider, [registered]).when({ type: 'ChangeEmail', emailHash: 'h2', email: 'pd1.y', at }).then([changed]);
    given(accountDecider, [registered, changed]).when({ type: 'ChangeEmail', emailHash: 'h2', email: 'pd1.y', at }).then([]);
    given(accountDecider, [registered, changed])
      .when({ type: 'ChangeEmail', emailHash: 'h', email: 'pd1.x', at })
      .then([{ type: 'EmailChanged', data: { emailHash: 'h', email: 'pd1.x', changedAt: at } }]);
    given(accountDecider, [registered, { type: 'AccountSuspended', data: { reason: 'abuse', suspendedAt: at } }])
      .when({ type: 'ChangeEmail', emailHash: 'h2', email: 'pd1.y', at })
      .thenRefuses('account_suspended');
  });
});
