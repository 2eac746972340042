import Redis from 'ioredis';
import { randomBytes, randomUUID } from 'node:crypto';
import { AccountsService } from '../../src/accounts/accounts.service';
import { KYSELY } from '../../src/platform/database/database.module';
import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { PersonalDataVault } from '../../src/platform/personal-data/personal-data.vault';
import { ctx, InferenceHarness, startInferenceHarness } from '../inference/harness';
import { Browser } from '../support/browser';
import { AGREED } from '../support/eligibility';
import { clearTextHits, collectStoredText, sealedTokens } from '../support/personal-data-scan';
import { openTestRedis } from '../support/redis';

const PASSWORD = 'correct horse battery staple';

/**
 * Issue 22 item 4: support (or an admin) flags an account as reported under 18: its keys are refused
 * within 1 s, and it is deleted at once (no grace period) — the scan the deletion tests use finds
 * none of the person's data — while the payment and ledger records stay; audited.
 */
describe('a reported minor', () => {
  let h: InferenceHarness;
  let redis: Redis;
  let store: EventStore;
  const staff: Record<'support' | 'finance', { id: string; browser: Browser }> = {} as never;

  beforeAll(async () => {
    h = await startInferenceHarness('reported_minor');
    redis = openTestRedis();
    store = h.t.app.get(EVENT_STORE);
    for (const role of ['support', 'finance'] as const) {
      const email = `${role}-${randomUUID()}@example.com`;
      const { accountId } = await h.t.app.get(AccountsService).register({ email, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: [role] }, ctx());
      const browser = new Browser();
      expect((await browser.post(`${h.t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
      staff[role] = { id: accountId, browser };
    }
  }, 60_000);
  afterAll(async () => {
    await redis?.quit();
    await h?.close();
  });

  const v1Status = async (key: string) => (await fetch(`${h.t.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status;
  const flag = (browser: Browser, accountId: string, body: object = { referenceId: 'ticket-4821' }) => browser.post(`${h.t.url}/admin/accounts/${accountId}/reported-minor`, body);

  it('only support and admins may flag; a reference is an id, never free text', async () => {
    const dev = await h.developer(1n);
    const email = (await h.t.app.get(AccountsService).view(dev.accountId)).email as string;
    const self = new Browser();
    expect((await self.post(`${h.t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
    const refused = [await flag(self, dev.accountId), await flag(staff.finance.browser, dev.accountId), await flag(new Browser(), dev.accountId)];
    expect(refused.map((r) => r.status)).toEqual([403, 403, 401]);
    expect((await flag(staff.support.browser, dev.accountId, { referenceId: 'mum of ada@example.com' })).body.code).toBe('invalid_body');
    expect((await flag(staff.support.browser, dev.accountId, { reason: 'x' })).body.code).toBe('invalid_body');
    expect((await flag(staff.support.browser, randomUUID())).status).toBe(404);
    expect(await v1Status(dev.key)).toBe(200); // nothing happened to the account
    expect((await store.readStream(`account-${dev.accountId}`)).map((e) => e.type)).not.toContain('ReportedMinorFlagged');
  }, 60_000);

  it('refuses the keys within 1 s and shreds the personal data at once (the deletion scan finds nothing); money records stay; audited', async () => {
    const dev = await h.developer(5n);
    const accounts = h.t.app.get(AccountsService);
    const email = (await accounts.view(dev.accountId)).email as string;
    const u = randomBytes(6).toString('hex');
    const pii = { email, displayName: `Young Person ${u}`, ip: `2001:db8::${u.slice(0, 4)}:${u.slice(4, 8)}`, userAgent: `MinorProbe/1.0 (ua-${u})` };
    const browser = new Browser({ 'x-forwarded-for': pii.ip, 'user-agent': pii.userAgent });
    expect((await browser.post(`${h.t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
    expect((await browser.request('PATCH', `${h.t.url}/me`, { displayName: pii.displayName })).status).toBe(204);
    expect((await dev.openai.chat.completions.create({ model: 'tollgate-test/llama:8b', messages: [{ role: 'user', content: 'hi' }] })).choices[0].message.content).toBeTruthy();
    expect(await v1Status(dev.key)).toBe(200);
    await h.t.caughtUp();
    const ledgerBefore = await ledgerRows(dev.accountId);
    expect(ledgerBefore.length).toBeGreaterThanOrEqual(2);

    const started = Date.now();
    const res = await flag(staff.support.browser, dev.accountId);
    const answered = Date.now();
    let refusedAt = 0;
    while (Date.now() - answered < 1_000) {
      if ((await v1Status(dev.key)) === 401) {
        refusedAt = Date.now();
        break;
      }
    }
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ accountId: dev.accountId, shredded: true, revokedKeys: 1 });
    expect(refusedAt).toBeGreaterThan(0);

    const events = await store.readStream(`account-${dev.accountId}`);
    const types = events.map((e) => e.type);
    expect(types.slice(-2)).toEqual(['ReportedMinorFlagged', 'AccountDeleted']);
    expect(types).not.toContain('DeletionRequested'); // no grace period, no "deletion scheduled" mail
    const flagged = events.find((e) => e.type === 'ReportedMinorFlagged')!;
    expect(flagged.metadata.actorId).toBe(staff.support.id);
    expect(flagged.data).toEqual({ flaggedAt: expect.any(String), referenceId: 'ticket-4821' });
    expect(events.find((e) => e.type === 'AccountDeleted')!.data.requestedAt).toBe(flagged.data.flaggedAt);
    const audit = await h.t.database.pool.query(
      `SELECT data FROM events WHERE event_type = 'StaffActionRecorded' AND data->>'action' = 'POST /admin/accounts/:id/reported-minor' AND data->'target'->>'id' = $1`,
      [dev.accountId],
    );
    expect(audit.rows.map((r) => [r.data.actorId, r.data.outcome.status])).toEqual([[staff.support.id, 201]]);

    await h.t.caughtUp();
    const stored = await collectStoredText(store, h.t.database.pool, redis);
    expect(clearTextHits(stored, pii)).toEqual([]);
    const vault = new PersonalDataVault(h.t.app.get(KYSELY));
    const opened: string[] = [];
    for (const token of sealedTokens(stored)) {
      const value = await vault.open(dev.accountId, token).catch(() => null);
      if (value !== null) opened.push(value);
    }
    expect(opened).toEqual([]);
    expect(await ledgerRows(dev.accountId)).toEqual(ledgerBefore);
    expect((await browser.get(`${h.t.url}/me`)).status).toBe(401);
    expect((await new Browser().post(`${h.t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(401);
    expect((await flag(staff.support.browser, dev.accountId)).status).toBe(404); // gone
    console.log(
      `reported minor: key refused ${refusedAt - answered} ms after the 201 (request took ${answered - started} ms); ${sealedTokens(stored).length} sealed values left, 0 open; clear-text hits 0; ledger rows kept ${ledgerBefore.length}`,
    );
  }, 120_000);

  async function ledgerRows(accountId: string) {
    const { rows } = await h.t.database.pool.query(
      `SELECT p.tx_no::text, p.posting_no, p.amount_micro_usd::text FROM ledger_postings p WHERE p.ledger_account = $1 ORDER BY p.tx_no, p.posting_no`,
      [`developer:${accountId}`],
    );
    return rows;
  }
});
