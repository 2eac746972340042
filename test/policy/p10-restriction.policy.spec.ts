import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { AccountsService } from '../../src/accounts/accounts.service';
import { Browser } from '../support/browser';
import { eventually } from '../support/eventually';
import { InferenceHarness, MODEL, startInferenceHarness } from '../inference/harness';

const PASSWORD = 'correct horse battery staple';

/** P10: a paused state — the account's API keys are refused at once, its data kept, and lifting restores them. */
describe('P10: users can restrict processing', () => {
  let h: InferenceHarness;

  beforeAll(async () => {
    h = await startInferenceHarness('p10_restriction');
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('refuses the keys at once (403 account_restricted), keeps the data, and lifting restores them', async () => {
    const dev = await h.developer(5n);
    const email = (await h.t.app.get(AccountsService).view(dev.accountId)).email as string;
    const browser = new Browser({ 'user-agent': 'RestrictionProbe/1.0' });
    expect((await browser.post(`${h.t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
    // The key is verified and cached on the hot path before the restriction.
    await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'before' }] });

    const restrictedAtMs = Date.now();
    expect((await browser.post(`${h.t.url}/me/restriction`)).status).toBe(204);
    const refused = await eventually(
      async () => {
        const res = await fetch(`${h.t.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${dev.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'during' }] }),
        });
        if (res.status !== 403) throw new Error(`still ${res.status}`);
        return { status: res.status, body: await res.json(), ms: Date.now() - restrictedAtMs };
      },
      1_000,
      5,
    );
    expect(refused.body).toEqual({ error: { message: expect.stringContaining('restricted'), type: 'request_forbidden', param: null, code: 'account_restricted' } });
    expect(refused.ms).toBeLessThan(1_000);
    console.log(`restricted key refused ${refused.ms} ms after POST /me/restriction was sent`);
    // Through the SDK too: the OpenAI error shape the SDK understands.
    await expect(dev.openai.models.list()).rejects.toMatchObject({ status: 403, code: 'account_restricted' });

    // Data kept: the person signs in, sees the profile and the keys (still active, not revoked), exports.
    await h.t.caughtUp();
    const me = await browser.get(`${h.t.url}/me`);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email, restrictedAt: expect.any(String) });
    const keys = await browser.get(`${h.t.url}/me/keys`);
    expect(keys.body.find((k: { id: string }) => k.id === dev.keyId)).toMatchObject({ status: 'active' });
    const again = new Browser();
    expect((await again.post(`${h.t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
    const exported = await again.get(`${h.t.url}/me/export`);
    expect(exported.status).toBe(200);
    expect(exported.body.dataRights.restriction.restricted).toBe(true);
    expect(exported.body.usage.length).toBe(1);

    // The record: events with the person as actor.
    const events = await h.t.app.get<EventStore>(EVENT_STORE).readStream(`account-${dev.accountId}`);
    expect(events.filter((e) => e.type === 'ProcessingRestricted').map((e) => e.metadata.actorId)).toEqual([dev.accountId]);

    // Lifting restores the keys at once.
    expect((await again.request('DELETE', `${h.t.url}/me/restriction`)).status).toBe(204);
    await eventually(
      async () => {
        const completion = await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'after' }] });
        expect(completion.choices[0].message.content).toBeTruthy();
      },
      1_000,
      10,
    );
    await h.t.caughtUp();
    expect((await again.get(`${h.t.url}/me`)).body.restrictedAt).toBeNull();
    // And it stays lifted once the read model (no longer restricted) is the only source.
    const restrictions = (await h.t.app.get<EventStore>(EVENT_STORE).readStream(`account-${dev.accountId}`)).map((e) => e.type).filter((t) => t.startsWith('Processing'));
    expect(restrictions).toEqual(['ProcessingRestricted', 'ProcessingRestrictionLifted']);
  }, 60_000);

  it('refuses a key the hot path has never seen while restricted (denylist and read model, no message needed)', async () => {
    const dev = await h.developer(1n);
    const email = (await h.t.app.get(AccountsService).view(dev.accountId)).email as string;
    const browser = new Browser();
    expect((await browser.post(`${h.t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
    expect((await browser.post(`${h.t.url}/me/restriction`)).status).toBe(204);
    const fresh = await browser.post(`${h.t.url}/me/keys`, { name: 'new while restricted' });
    expect(fresh.status).toBe(201);
    const res = await fetch(`${h.t.url}/v1/models`, { headers: { authorization: `Bearer ${fresh.body.key}` } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('account_restricted');
  }, 60_000);
});
