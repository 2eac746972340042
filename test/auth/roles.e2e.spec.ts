import { Role } from '../../src/platform/access/roles';
import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { AuthTestApp, newBrowser, register, startAuthApp } from './auth-app';
import { registerAndSignIn } from '../support/sign-in';

const PASSWORD = 'correct horse battery staple';

describe('roles, admin actions and suspension', () => {
  let t: AuthTestApp;

  beforeAll(async () => {
    t = await startAuthApp('auth_roles');
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Staff accounts are made by operators (the CLI); here through the same service. */
  const staff = (email: string, roles: Role[]) => registerAndSignIn(t.app, t.url, email, roles);

  async function accountEvents(accountId: string) {
    return t.app.get<EventStore>(EVENT_STORE).readStream(`account-${accountId}`);
  }

  it('keeps developers out of admin routes (403) and lets admins in; staff may read but not write', async () => {
    const developer = newBrowser();
    const developerId = await register(developer, t.url, 'dev@example.com');
    const admin = await staff('admin@example.com', ['admin']);
    const finance = await staff('finance@example.com', ['finance']);
    await t.caughtUp();

    const refused = await developer.get(`${t.url}/admin/accounts/${admin.accountId}`);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('role_required');
    expect((await developer.post(`${t.url}/admin/accounts/${developerId}/roles`, { role: 'admin' })).status).toBe(403);
    expect((await newBrowser().get(`${t.url}/admin/accounts/${developerId}`)).status).toBe(401);

    const view = await admin.browser.get(`${t.url}/admin/accounts/${developerId}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ accountId: developerId, email: 'dev@example.com', roles: ['developer'] });
    expect((await finance.browser.get(`${t.url}/admin/accounts/${developerId}`)).status).toBe(200);
    expect((await finance.browser.post(`${t.url}/admin/accounts/${developerId}/suspend`, { reason: 'x' })).status).toBe(403);
    expect((await admin.browser.get(`${t.url}/admin/accounts/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await admin.browser.get(`${t.url}/admin/accounts/not-a-uuid`)).status).toBe(404);
  });

  it('grants and revokes roles with the admin as the recorded actor; provider only by invite', async () => {
    const admin = await staff('admin2@example.com', ['admin']);
    const userId = await register(newBrowser(), t.url, 'user2@example.com');

    expect((await admin.browser.post(`${t.url}/admin/accounts/${userId}/roles`, { role: 'support' })).status).toBe(204);
    const provider = await admin.browser.post(`${t.url}/admin/accounts/${userId}/roles`, { role: 'provider' });
    expect(provider.status).toBe(403);
    expect(provider.body.code).toBe('provider_invite_only');
    expect((await admin.browser.post(`${t.url}/admin/accounts/${userId}/roles`, { role: 'overlord' })).body.code).toBe('unknown_role');
    expect((await admin.browser.post(`${t.url}/admin/accounts/${userId}/roles`, {})).status).toBe(400);
    expect((await admin.browser.request('DELETE', `${t.url}/admin/accounts/${userId}/roles/support`)).status).toBe(204);
    expect((await admin.browser.request('DELETE', `${t.url}/admin/accounts/${userId}/roles/developer`)).body.code).toBe('developer_role_permanent');

    const events = await accountEvents(userId);
    const granted = events.find((e) => e.type === 'RoleGranted')!;
    const revoked = events.find((e) => e.type === 'RoleRevoked')!;
    expect(granted.metadata).toMatchObject({ actorId: admin.accountId, correlationId: expect.any(String) });
    expect(revoked.metadata).toMatchObject({ actorId: admin.accountId });
  });

  it('refuses a revoked admin at once, with the same access token', async () => {
    const root = await staff('root@example.com', ['admin']);
    const deputy = await staff('deputy@example.com', ['admin']);
    const target = await register(newBrowser(), t.url, 'target@example.com');
    await t.caughtUp(); // the admin view reads the accounts read model
    expect((await deputy.browser.get(`${t.url}/admin/accounts/${target}`)).status).toBe(200);

    expect((await root.browser.request('DELETE', `${t.url}/admin/accounts/${deputy.accountId}/roles/admin`)).status).toBe(204);
    const after = await deputy.browser.get(`${t.url}/admin/accounts/${target}`); // no refresh, no new token
    expect(after.status).toBe(403);
    expect(after.body.code).toBe('role_required');
    await t.caughtUp(); // /me shows the read model
    expect((await deputy.browser.get(`${t.url}/me`)).body.roles).toEqual(['developer']);
  });

  it('suspension ends access at once, refuses sign-in and refresh; reinstatement restores sign-in', async () => {
    const admin = await staff('admin3@example.com', ['admin']);
    const user = newBrowser();
    const userId = await register(user, t.url, 'suspect@example.com');
    expect((await user.get(`${t.url}/me`)).status).toBe(200);

    expect((await admin.browser.post(`${t.url}/admin/accounts/${userId}/suspend`, {})).status).toBe(400);
    expect((await admin.browser.post(`${t.url}/admin/accounts/${userId}/suspend`, { reason: 'card testing' })).status).toBe(204);
    const me = await user.get(`${t.url}/me`);
    expect(me.status).toBe(403);
    expect(me.body.code).toBe('account_suspended');
    expect((await user.post(`${t.url}/auth/refresh`)).status).toBe(403);
    const login = await newBrowser().post(`${t.url}/auth/login`, { email: 'suspect@example.com', password: PASSWORD });
    expect(login.status).toBe(403);
    expect(login.body.code).toBe('account_suspended');

    expect((await admin.browser.post(`${t.url}/admin/accounts/${userId}/reinstate`)).status).toBe(204);
    expect((await newBrowser().post(`${t.url}/auth/login`, { email: 'suspect@example.com', password: PASSWORD })).status).toBe(200);
    const suspended = (await accountEvents(userId)).find((e) => e.type === 'AccountSuspended')!;
    expect(suspended.data).toMatchObject({ reason: 'card testing' });
    expect(suspended.metadata).toMatchObject({ actorId: admin.accountId });
  });

  it("lets an admin revoke an account's key (404 when the key is another account's)", async () => {
    const admin = await staff('admin4@example.com', ['admin']);
    const owner = newBrowser();
    const ownerId = await register(owner, t.url, 'owner@example.com');
    const otherId = await register(newBrowser(), t.url, 'other@example.com');
    const issued = await owner.post(`${t.url}/me/keys`, { name: 'prod' });
    expect(issued.status).toBe(201);
    const keyId = issued.body.apiKey.id as string;

    expect((await admin.browser.post(`${t.url}/admin/accounts/${otherId}/keys/${keyId}/revoke`)).status).toBe(404);
    expect((await admin.browser.post(`${t.url}/admin/accounts/${ownerId}/keys/${keyId}/revoke`)).status).toBe(204);
    const [revokedEvent] = (await t.app.get<EventStore>(EVENT_STORE).readStream(`apikey-${keyId}`)).filter((e) => e.type === 'ApiKeyRevoked');
    expect(revokedEvent.metadata).toMatchObject({ actorId: admin.accountId });
  });

  it('serves the self-service routes: profile edits, password change, deletion request', async () => {
    const user = newBrowser();
    const userId = await register(user, t.url, 'self@example.com');
    expect((await user.request('PATCH', `${t.url}/me`, { displayName: 'Self', picture: 'https://example.com/me.png' })).status).toBe(204);
    expect((await user.request('PATCH', `${t.url}/me`, { picture: 'javascript:alert(1)' })).status).toBe(400);
    expect((await user.request('PATCH', `${t.url}/me`, { email: 'new@example.com' })).status).toBe(400);
    await t.caughtUp();
    expect((await user.get(`${t.url}/me`)).body).toMatchObject({ displayName: 'Self', picture: 'https://example.com/me.png' });

    expect((await user.post(`${t.url}/me/password`, { newPassword: 'a brand new password' })).body.code).toBe('current_password_required');
    expect((await user.post(`${t.url}/me/password`, { currentPassword: 'wrong wrong wrong', newPassword: 'a brand new password' })).body.code).toBe('wrong_password');
    expect((await user.post(`${t.url}/me/password`, { currentPassword: PASSWORD, newPassword: 'a brand new password' })).status).toBe(204);
    expect((await newBrowser().post(`${t.url}/auth/login`, { email: 'self@example.com', password: 'a brand new password' })).status).toBe(200);
    expect((await newBrowser().post(`${t.url}/auth/login`, { email: 'self@example.com', password: PASSWORD })).status).toBe(401);

    expect((await user.post(`${t.url}/me/deletion-request`)).status).toBe(202);
    const events = await accountEvents(userId);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['ProfileUpdated', 'PasswordChanged', 'DeletionRequested']));
    // After registration (AccountRegistered + PasswordChanged + EligibilityAttested by 'self'), every change names the account as actor.
    expect(events.slice(0, 3).map((e) => [e.type, e.metadata.actorId])).toEqual([
      ['AccountRegistered', 'self'],
      ['PasswordChanged', 'self'],
      ['EligibilityAttested', 'self'],
    ]);
    expect(events.slice(3).every((e) => e.metadata.actorId === userId)).toBe(true);
  });
});
