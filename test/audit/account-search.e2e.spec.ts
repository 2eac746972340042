import { AuthTestApp, startAuthApp } from '../auth/auth-app';
import { RoleName, signInEachRole, SignedIn } from '../support/sign-in';

/**
 * Support's "find an account" (GET /support/accounts?q=): by account id, exact sign-in email or an
 * API key's public id; staff only; the search is audited without the email it carried.
 */
describe('support: find an account', () => {
  let t: AuthTestApp;
  let users: Record<RoleName, SignedIn>;
  let keyPrefix: string;
  let fullKey: string;

  beforeAll(async () => {
    t = await startAuthApp('account_search');
    users = await signInEachRole(t.app, t.url, 'search');
    const issued = await users.developer.browser.post(`${t.url}/me/keys`, { name: 'search me' });
    expect(issued.status).toBe(201);
    fullKey = issued.body.key as string;
    keyPrefix = fullKey.split('_').slice(0, 3).join('_');
  }, 60_000);
  afterAll(() => t?.close());

  const search = (who: SignedIn, q: string) => who.browser.get(`${t.url}/support/accounts?q=${encodeURIComponent(q)}`);

  it('finds the developer by account id, by email in any case, by key prefix and by the whole key', async () => {
    const dev = users.developer;
    const found: Record<string, unknown> = {};
    for (const [how, q] of [
      ['account id', dev.accountId.toUpperCase()],
      ['email', dev.email.toUpperCase()],
      ['API key', keyPrefix],
      ['API key', fullKey],
    ]) {
      const res = await search(users.support, q);
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([expect.objectContaining({ accountId: dev.accountId, email: dev.email, matchedBy: how, status: 'active' })]);
      found[how] = res.body.items[0].accountId;
    }
    console.log(`account search by id, email, key prefix and whole key all found ${JSON.stringify(found)}`);
  });

  it('finds nothing for an unknown email, a key id nobody holds or free text, and refuses an empty or long query', async () => {
    for (const q of ['nobody@example.com', 'tg_live_AAAAAAAAAAAA', 'Zelda']) expect((await search(users.admin, q)).body).toEqual({ items: [] });
    const empty = await users.support.browser.get(`${t.url}/support/accounts`);
    expect([empty.status, empty.body.code]).toEqual([400, 'invalid_query']);
    const long = await search(users.support, 'x'.repeat(400));
    expect([long.status, long.body.code]).toEqual([400, 'invalid_query']);
  });

  it('is for support and admins only', async () => {
    for (const who of [users.developer, users.provider, users.finance]) expect((await search(who, users.developer.email)).status).toBe(403);
  });

  it('is audited, with the search recorded but not the email it carried', async () => {
    await search(users.support, users.developer.email);
    await t.caughtUp();
    const log = await users.admin.browser.get(`${t.url}/admin/audit-log?action=${encodeURIComponent('GET /support/accounts')}`);
    expect(log.status).toBe(200);
    const entry = log.body.items.find((e: { actorId: string }) => e.actorId === users.support.accountId);
    expect(entry).toBeDefined();
    expect(JSON.stringify(entry)).not.toContain(users.developer.email);
  });
});
