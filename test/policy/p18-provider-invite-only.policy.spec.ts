import { randomUUID } from 'node:crypto';
import { accountDecider } from '../../src/accounts/account.decide';
import { AccountEvent } from '../../src/accounts/account.events';
import { AccountsService } from '../../src/accounts/accounts.service';
import { AuthTestApp, newBrowser, register, startAuthApp } from '../auth/auth-app';
import { given } from '../support/decider-spec';
import { AGREED, PROVIDER_TERMS_AGREED } from '../support/eligibility';

const at = '2026-11-22T10:00:00.000Z';
const PASSWORD = 'correct horse battery staple';
const registered: AccountEvent = {
  type: 'AccountRegistered',
  data: { accountId: 'a1', emailHash: 'h', email: 'pd1.x', displayName: null, picture: null, via: 'password', roles: ['developer'], registeredAt: at },
};
const registerCommand = {
  type: 'RegisterAccount' as const,
  accountId: 'a1',
  emailHash: 'h',
  email: 'pd1.x',
  displayName: null,
  picture: null,
  via: 'password' as const,
  roles: [],
  passwordHash: null,
  eligibility: { over18: true as const, termsVersion: '1', privacyVersion: '1', attestedAt: at },
  at,
};

describe('P18: provider accounts are invite-only during the beta', () => {
  describe('the account decider', () => {
    it('grants the provider role only through an invite', () => {
      given(accountDecider, [registered]).when({ type: 'GrantRole', role: 'provider', at }).thenRefuses('provider_invite_only');
      given(accountDecider, [registered])
        .when({ type: 'GrantRole', role: 'provider', viaInvite: true, at })
        .then([{ type: 'RoleGranted', data: { role: 'provider', grantedAt: at } }]);
      given(accountDecider, [])
        .when({ ...registerCommand, roles: ['provider'] })
        .thenRefuses('provider_invite_only');
    });
  });

  describe('the running service', () => {
    let t: AuthTestApp;
    beforeAll(async () => {
      t = await startAuthApp('policy_p18');
    });
    afterAll(async () => {
      await t?.close();
    });

    it('refuses the provider role to admins and to registration, and gives it to whoever accepts an invite', async () => {
      const accounts = t.app.get(AccountsService);
      const op = { actorId: 'operator:test', occurredAt: new Date().toISOString() };
      await expect(
        accounts.register({ email: `p18-${randomUUID()}@example.com`, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: ['provider'] }, op),
      ).rejects.toMatchObject({ code: 'provider_invite_only' });

      const adminEmail = `p18-root-${randomUUID()}@example.com`;
      await accounts.register({ email: adminEmail, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: ['admin'] }, op);
      const admin = newBrowser();
      expect((await admin.post(`${t.url}/auth/login`, { email: adminEmail, password: PASSWORD })).status).toBe(200);
      const email = `p18-gpu-${randomUUID()}@example.com`;
      const owner = newBrowser();
      const ownerId = await register(owner, t.url, email, PASSWORD);
      const granted = await admin.post(`${t.url}/admin/accounts/${ownerId}/roles`, { role: 'provider' });
      expect({ status: granted.status, code: granted.body.code }).toEqual({ status: 403, code: 'provider_invite_only' });
      expect((await owner.get(`${t.url}/me`)).body.roles).toEqual(['developer']);

      const invite = await admin.post(`${t.url}/admin/provider-invites`, { email });
      expect(invite.status).toBe(201);
      const accepted = await owner.post(`${t.url}/me/provider-invite/accept`, { token: invite.body.token, providerTermsVersion: PROVIDER_TERMS_AGREED });
      expect(accepted.status).toBe(201);
      expect(accepted.body.roles).toContain('provider');
    });
  });
});
