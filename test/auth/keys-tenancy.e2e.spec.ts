import { Browser, BrowserResponse } from '../support/browser';
import { AuthTestApp, newBrowser, register, startAuthApp } from './auth-app';

const KEY = /^tg_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/;

/** Everything a client sees of an error, minus `instance` (the request path, which names the id asked for). */
function shape(res: BrowserResponse) {
  return { status: res.status, contentType: res.headers.get('content-type'), body: { ...res.body, instance: undefined } };
}

describe('API keys from the dashboard, and tenant isolation between developers', () => {
  let t: AuthTestApp;
  let alice: Browser;
  let bob: Browser;

  beforeAll(async () => {
    t = await startAuthApp('auth_keys');
    alice = newBrowser();
    bob = newBrowser();
    await register(alice, t.url, 'alice@example.com');
    await register(bob, t.url, 'bob@example.com');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('issues a key shown once (201, no-store), lists metadata only, validates the body', async () => {
    const issued = await alice.post(`${t.url}/me/keys`, { name: 'ci', expiresAt: new Date(Date.now() + 86_400_000).toISOString(), limits: { requestsPerMinute: 60 } });
    expect(issued.status).toBe(201);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    expect(issued.body.key).toMatch(KEY);
    expect(issued.body.apiKey).toMatchObject({ name: 'ci', status: 'active', limits: { requestsPerMinute: 60, tokensPerMinute: null } });
    await t.caughtUp();
    const listed = await alice.get(`${t.url}/me/keys`);
    expect(listed.body.map((k: { id: string }) => k.id)).toContain(issued.body.apiKey.id);
    expect(listed.text).not.toContain(issued.body.key);

    for (const body of [
      {},
      { name: '' },
      { name: 'n'.repeat(101) },
      { name: 'x', limits: { requestsPerMinute: 0 } },
      { name: 'x', limits: { rpm: 5 } },
      { name: 'x', owner: 'bob' },
      { name: 'x', expiresAt: 'tomorrow' },
    ]) {
      expect((await alice.post(`${t.url}/me/keys`, body)).status).toBe(400);
    }
    expect((await newBrowser().post(`${t.url}/me/keys`, { name: 'anon' })).status).toBe(401);
  });

  it("answers another developer's key id exactly like a missing one: list, revoke, rotate", async () => {
    const issued = await alice.post(`${t.url}/me/keys`, { name: 'alice-prod' });
    const aliceKey = issued.body.apiKey.id as string;
    await t.caughtUp();

    const bobsList = await bob.get(`${t.url}/me/keys`);
    expect(bobsList.status).toBe(200);
    expect(bobsList.body).toEqual([]);

    const missing = 'ZZZZZZZZZZZZ';
    for (const action of ['revoke', 'rotate']) {
      const theirs = await bob.post(`${t.url}/me/keys/${aliceKey}/${action}`);
      const absent = await bob.post(`${t.url}/me/keys/${missing}/${action}`);
      const malformed = await bob.post(`${t.url}/me/keys/not-a-key/${action}`);
      expect(theirs.status).toBe(404);
      expect(shape(theirs)).toEqual(shape(absent));
      expect(shape(theirs)).toEqual(shape(malformed));
      expect(theirs.body.code).toBe('api_key_not_found');
    }

    // Bob's attempts changed nothing; Alice can still rotate and revoke her key.
    await t.caughtUp();
    expect((await alice.get(`${t.url}/me/keys`)).body.find((k: { id: string }) => k.id === aliceKey).status).toBe('active');
    const rotated = await alice.post(`${t.url}/me/keys/${aliceKey}/rotate`);
    expect(rotated.status).toBe(201);
    expect(rotated.body.key).toMatch(KEY);
    expect(rotated.body.apiKey).toMatchObject({ name: 'alice-prod', rotatedFrom: aliceKey });
    expect((await alice.post(`${t.url}/me/keys/${rotated.body.apiKey.id}/revoke`)).status).toBe(204);
    // A rotated-away key cannot be rotated again.
    expect((await alice.post(`${t.url}/me/keys/${aliceKey}/rotate`)).status).toBe(404);
    await t.caughtUp();
    expect((await bob.get(`${t.url}/me/keys`)).body).toEqual([]);
  });
});
