import { randomBytes } from 'node:crypto';
import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { AuthTestApp, register, startAuthApp } from '../auth/auth-app';
import { Browser } from '../support/browser';

/** P8: profile corrections are events (ProfileUpdated), shown back at once, sealed like the original. */
describe('P8: users can correct their data', () => {
  let t: AuthTestApp;

  beforeAll(async () => {
    t = await startAuthApp('p08_correction');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('PATCH /me records ProfileUpdated with sealed fields and GET /me shows the correction', async () => {
    const u = randomBytes(5).toString('hex');
    const browser = new Browser();
    const accountId = await register(browser, t.url, `p8-${u}@example.com`);
    const displayName = `Grace Hopper ${u}`;
    const picture = `https://pictures.example.com/${u}.jpg`;

    expect((await browser.request('PATCH', `${t.url}/me`, { displayName, picture })).status).toBe(204);
    await t.caughtUp();
    expect((await browser.get(`${t.url}/me`)).body).toMatchObject({ accountId, displayName, picture });

    const events = await t.app.get<EventStore>(EVENT_STORE).readStream(`account-${accountId}`);
    const updated = events.filter((e) => e.type === 'ProfileUpdated');
    expect(updated).toHaveLength(1);
    expect(updated[0].metadata.actorId).toBe(accountId);
    expect(String(updated[0].data.displayName)).toMatch(/^pd1\./);
    expect(String(updated[0].data.picture)).toMatch(/^pd1\./);
    expect(JSON.stringify([updated[0].data, updated[0].metadata])).not.toContain(u);

    // A second correction, and clearing a field with null.
    expect((await browser.request('PATCH', `${t.url}/me`, { displayName: 'Grace B. Hopper', picture: null })).status).toBe(204);
    await t.caughtUp();
    expect((await browser.get(`${t.url}/me`)).body).toMatchObject({ displayName: 'Grace B. Hopper', picture: null });
    // Bad input is refused, nothing recorded.
    expect((await browser.request('PATCH', `${t.url}/me`, { picture: 'javascript:alert(1)' })).status).toBe(400);
    expect((await browser.request('PATCH', `${t.url}/me`, { email: 'x@example.com' })).status).toBe(400);
    const after = await t.app.get<EventStore>(EVENT_STORE).readStream(`account-${accountId}`);
    expect(after.filter((e) => e.type === 'ProfileUpdated')).toHaveLength(2);
  }, 60_000);
});
