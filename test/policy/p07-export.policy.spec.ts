import { randomBytes } from 'node:crypto';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { Browser } from '../support/browser';
import { InferenceHarness, MODEL, startInferenceHarness } from '../inference/harness';

const PASSWORD = 'correct horse battery staple';

/**
 * P7: GET /me/export holds what the person did — profile, sign-ins (opened), keys (metadata only),
 * usage from real /v1 traffic, grants and ledger lines — checked against the events themselves.
 */
describe('P7: users can access and export their data', () => {
  let h: InferenceHarness;

  beforeAll(async () => {
    h = await startInferenceHarness('p07_export');
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('exports profile, sign-ins, keys, usage, grants and ledger lines', async () => {
    const dev = await h.developer(3n);
    const store = h.t.app.get<EventStore>(EVENT_STORE);
    const email = (await h.t.app.get(AccountsService).view(dev.accountId)).email as string;
    const u = randomBytes(5).toString('hex');
    const ip = `198.18.${parseInt(u.slice(0, 2), 16)}.${parseInt(u.slice(2, 4), 16)}`;
    const userAgent = `ExportProbe/1.0 (ua-${u})`;
    const browser = new Browser({ 'x-forwarded-for': ip, 'user-agent': userAgent });
    expect((await browser.post(`${h.t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
    expect((await browser.request('PATCH', `${h.t.url}/me`, { displayName: `Export ${u}` })).status).toBe(204);
    const second = await browser.post(`${h.t.url}/me/keys`, { name: 'second key' });
    expect(second.status).toBe(201);
    // KYC (optional; its routes work even when not required): exported masked, never in clear.
    expect((await browser.request('PUT', `${h.t.url}/me/kyc`, { pan: 'ABCPE1234F', aadhaar: '234123412346' })).status).toBe(200);

    // Real /v1 traffic: two plain completions and a streamed one.
    await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'one' }] });
    await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'two' }] });
    const stream = await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'three' }], stream: true });
    for await (const _chunk of stream) void _chunk;
    await h.t.caughtUp();

    const res = await browser.get(`${h.t.url}/me/export`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="tollgate-export-/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const doc = res.body;
    expect(doc).toMatchObject({ format: 'tollgate-export/1', accountId: dev.accountId, complete: true });

    // Profile, opened.
    expect(doc.profile).toMatchObject({ accountId: dev.accountId, email, displayName: `Export ${u}`, roles: ['developer'], status: 'active' });
    expect(doc.dataRights).toEqual({ deletion: { requested: false, requestedAt: null, dueAt: null }, restriction: { restricted: false, restrictedAt: null } });

    // Sign-ins with the IP and user agent opened from their sealed form.
    expect(doc.signIns).toEqual([{ method: 'password', ip, userAgent, signedInAt: expect.any(String) }]);

    // Keys: metadata only, never the key or its hash.
    expect(doc.apiKeys.map((k: { id: string }) => k.id).sort()).toEqual([dev.keyId, second.body.apiKey.id].sort());
    const keys = h.t.app.get(ApiKeysService);
    for (const secret of [dev.key, second.body.key, keys.hashKey(dev.key), keys.hashKey(second.body.key)]) expect(res.text).not.toContain(secret);

    // Usage: exactly the requests the event store recorded for the person.
    const recorded = (await store.readAll({ maxCount: 10_000 })).filter((e) => e.type === 'UsageRecorded' && e.data.accountId === dev.accountId);
    expect(recorded).toHaveLength(3);
    const requests = doc.usage.filter((x: { kind: string }) => x.kind === 'request');
    expect(requests.map((r: { requestId: string }) => r.requestId).sort()).toEqual(recorded.map((e) => e.data.requestId).sort());
    for (const r of requests) {
      const event = recorded.find((e) => e.data.requestId === r.requestId)!;
      expect(r).toMatchObject({
        keyId: dev.keyId,
        model: MODEL,
        costMicroUsd: event.data.costMicroUsd,
        inputTokens: event.data.inputTokens,
        outputTokens: event.data.outputTokens,
      });
    }

    // Ledger lines (the statement, newest first, signed as the owner reads them): the grant and
    // the three charges, with the amounts the events posted.
    const lines = (doc.ledgerLines as { type: string; amountMicroUsd: string; balanceAfterMicroUsd: string; ledgerAccount: string }[]).slice().reverse();
    expect(lines.map((l) => l.type)).toEqual(['CreditsGranted', 'UsageRecorded', 'UsageRecorded', 'UsageRecorded']);
    expect(lines[0]).toMatchObject({ amountMicroUsd: '3000000', balanceAfterMicroUsd: '3000000' });
    const charged = recorded.map((e) => (e.data.postings as { account: string; amountMicroUsd: string }[]).find((p) => p.account === `developer:${dev.accountId}`)!.amountMicroUsd);
    expect(
      lines
        .slice(1)
        .map((l) => (-BigInt(l.amountMicroUsd)).toString())
        .sort(),
    ).toEqual(charged.sort());
    expect(doc.kyc).toMatchObject({ status: 'submitted', pan: 'ABCPE****F', aadhaar: 'XXXX XXXX 2346' });
    expect(res.text).not.toContain('ABCPE1234F');
    expect(res.text).not.toContain('234123412346');
    expect(doc.paymentOrders).toEqual([]); // payments are off in this app; grants are the credits here

    // Another person's export holds none of this one's data.
    const other = await h.developer(0n);
    const otherEmail = (await h.t.app.get(AccountsService).view(other.accountId)).email as string;
    const otherBrowser = new Browser();
    expect((await otherBrowser.post(`${h.t.url}/auth/login`, { email: otherEmail, password: PASSWORD })).status).toBe(200);
    const otherDoc = await otherBrowser.get(`${h.t.url}/me/export`);
    expect(otherDoc.status).toBe(200);
    for (const mine of [dev.accountId, email, ip, userAgent, dev.keyId]) expect(otherDoc.text).not.toContain(mine);
  }, 60_000);

  it('needs a session', async () => {
    expect((await new Browser().get(`${h.t.url}/me/export`)).status).toBe(401);
  });
});
