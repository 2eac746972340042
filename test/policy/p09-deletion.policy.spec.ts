import { signUp } from '../auth/auth-app';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { AccountsService } from '../../src/accounts/accounts.service';
import { KYSELY } from '../../src/platform/database/database.module';
import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { PersonalDataVault } from '../../src/platform/personal-data/personal-data.vault';
import { AccountDeletion } from '../../src/privacy/deletion/account-deletion';
import { DeletionSweep } from '../../src/privacy/deletion/deletion-sweep';
import { Browser } from '../support/browser';
import { ctx, InferenceHarness, MODEL, startInferenceHarness } from '../inference/harness';
import { clearTextHits, collectStoredText, sealedTokens } from '../support/personal-data-scan';
import { AGREED } from '../support/eligibility';
import { openTestRedis } from '../support/redis';

const PASSWORD = 'correct horse battery staple';
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * P9: a deletion request revokes the keys and ends the sessions at once, can be cancelled during
 * the grace period, is not completed before it ends, and when completed leaves none of the
 * person's personal data readable anywhere — while the money records stay whole.
 */
describe('P9: users can delete their account; personal data is removed after the grace period', () => {
  let h: InferenceHarness;
  let redis: Redis;
  let store: EventStore;

  beforeAll(async () => {
    h = await startInferenceHarness('p09_deletion');
    redis = openTestRedis();
    store = h.t.app.get(EVENT_STORE);
  }, 60_000);
  afterAll(async () => {
    await redis?.quit();
    await h?.close();
  });

  const unique = () => randomBytes(6).toString('hex');

  async function person() {
    const dev = await h.developer(5n);
    const email = (await h.t.app.get(AccountsService).view(dev.accountId)).email as string;
    const u = unique();
    const pii = {
      email,
      displayName: `Ada Lovelace ${u}`,
      picture: `https://pictures.example.com/${u}.png`,
      ip: `2001:db8::${u.slice(0, 4)}:${u.slice(4, 8)}`,
      userAgent: `DeletionProbe/2.0 (ua-${u})`,
    };
    const browser = new Browser({ 'x-forwarded-for': pii.ip, 'user-agent': pii.userAgent });
    expect((await browser.post(`${h.t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
    expect((await browser.request('PATCH', `${h.t.url}/me`, { displayName: pii.displayName, picture: pii.picture })).status).toBe(204);
    const completion = await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hello' }] });
    expect(completion.choices[0].message.content).toBeTruthy();
    await h.t.caughtUp();
    return { dev, browser, pii };
  }

  async function v1Status(key: string): Promise<number> {
    const res = await fetch(`${h.t.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    return res.status;
  }

  it('revokes every key and ends every session at once; cancellable within the grace period (keys stay revoked)', async () => {
    const { dev, browser } = await person();
    expect(await v1Status(dev.key)).toBe(200);

    const requested = await browser.post(`${h.t.url}/me/deletion-request`);
    expect(requested.status).toBe(202);
    expect(requested.body.revokedKeys).toBe(1);
    expect(requested.body.endedSessions).toBeGreaterThanOrEqual(1);
    expect(Date.parse(requested.body.dueAt) - Date.parse(requested.body.requestedAt)).toBe(30 * DAY_MS);
    expect(await v1Status(dev.key)).toBe(401); // refused at once: the revocation is published before the 202
    expect((await browser.get(`${h.t.url}/me`)).status).toBe(401); // the session was ended

    // The revocations are audited events, each naming the person as the actor.
    const keyEvents = await store.readStream(`apikey-${dev.keyId}`);
    expect(keyEvents.map((e) => e.type)).toEqual(['ApiKeyIssued', 'ApiKeyRevoked']);
    expect(keyEvents[1].metadata.actorId).toBe(dev.accountId);

    // The person can still sign in during the grace period, and cancel.
    const email = (await h.t.app.get(AccountsService).view(dev.accountId)).email as string;
    expect((await browser.post(`${h.t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
    expect((await browser.post(`${h.t.url}/me/keys`, { name: 'while pending' })).status).toBe(409); // no new keys while deletion is pending
    const cancelled = await browser.request('DELETE', `${h.t.url}/me/deletion-request`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({ requestedAt: null, dueAt: null });
    await h.t.caughtUp();
    expect((await browser.get(`${h.t.url}/me`)).body.deletionRequestedAt).toBeNull();
    expect(await v1Status(dev.key)).toBe(401); // keys stay revoked
    const fresh = await browser.post(`${h.t.url}/me/keys`, { name: 'after cancelling' });
    expect(fresh.status).toBe(201);
    expect(await v1Status(fresh.body.key)).toBe(200);

    // A cancelled request is never completed, even long after its due time.
    const sweep = await h.t.app.get(DeletionSweep).sweep(new Date(Date.now() + 60 * DAY_MS));
    expect(sweep.completed).not.toContain(dev.accountId);
    expect(await h.t.app.get(AccountsService).exists(dev.accountId)).toBe(true);
  }, 60_000);

  it('an admin records a request received by email; the admin is the actor and the note is sealed', async () => {
    const adminEmail = `admin-${unique()}@example.com`;
    await h.t.app.get(AccountsService).register({ email: adminEmail, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: ['admin'] }, ctx());
    const admin = new Browser();
    expect((await admin.post(`${h.t.url}/auth/login`, { email: adminEmail, password: PASSWORD })).status).toBe(200);
    const { dev } = await person();
    const note = `Email from the person, ticket ${unique()}`;
    expect((await admin.post(`${h.t.url}/admin/accounts/${dev.accountId}/deletion-request`, { channel: 'post' })).status).toBe(400);
    const res = await admin.post(`${h.t.url}/admin/accounts/${dev.accountId}/deletion-request`, { channel: 'email', note });
    expect(res.status).toBe(202);
    expect(await v1Status(dev.key)).toBe(401);
    const events = await store.readStream(`account-${dev.accountId}`);
    const requested = events.find((e) => e.type === 'DeletionRequested')!;
    const adminId = (await h.t.app.get(AccountsService).findIdByEmail(adminEmail))!;
    expect(requested.metadata.actorId).toBe(adminId);
    expect(requested.data.channel).toBe('email');
    expect(String(requested.data.note)).toMatch(/^pd1\./);
    expect(JSON.stringify(requested.data)).not.toContain(note);
  }, 60_000);

  it('enforces the grace period, then erases the person: nothing readable in the events, any table or Redis; the ledger survives', async () => {
    const { dev, browser, pii } = await person();
    const accounts = h.t.app.get(AccountsService);
    const sweep = h.t.app.get(DeletionSweep);
    const requested = await browser.post(`${h.t.url}/me/deletion-request`);
    expect(requested.status).toBe(202);
    await h.t.caughtUp();
    const dueMs = Date.parse(requested.body.dueAt);

    // Control: before completion the scans do see the person (sealed values that open to their data).
    const before = await collectStoredText(store, h.t.database.pool, redis);
    const openedBefore = await openAll(new PersonalDataVault(h.t.app.get(KYSELY)), dev.accountId, sealedTokens(before));
    for (const value of Object.values(pii)) expect(openedBefore).toContain(value);
    const ledgerBefore = await ledgerRows(dev.accountId);
    expect(ledgerBefore.length).toBeGreaterThanOrEqual(2); // the grant and the charge

    // Not a millisecond early.
    const early = await sweep.sweep(new Date(dueMs - 1));
    expect(early.completed).not.toContain(dev.accountId);
    expect(early.failed).not.toContain(dev.accountId);
    expect(await accounts.exists(dev.accountId)).toBe(true);
    await expect(h.t.app.get(AccountDeletion).complete(dev.accountId, new Date(dueMs - 1))).rejects.toMatchObject({ code: 'grace_period_running' });

    const done = await sweep.sweep(new Date(dueMs));
    expect(done.completed).toContain(dev.accountId);
    await h.t.caughtUp();
    // Safe to re-run: nothing more is recorded.
    const again = await h.t.app.get(AccountDeletion).complete(dev.accountId, new Date(dueMs + 1000));
    expect(again).toMatchObject({ recorded: false, shredded: false, revokedKeys: 0 });
    expect((await sweep.sweep(new Date(dueMs + 2000))).completed).not.toContain(dev.accountId);
    const deletedEvents = (await store.readStream(`account-${dev.accountId}`)).filter((e) => e.type === 'AccountDeleted');
    expect(deletedEvents).toHaveLength(1);

    // The full scan: no clear text anywhere, and no sealed value anywhere opens any more.
    const after = await collectStoredText(store, h.t.database.pool, redis);
    expect(clearTextHits(after, pii)).toEqual([]);
    const tokens = sealedTokens(after);
    expect(tokens.length).toBeGreaterThan(0); // the sealed copies are still there, now unreadable
    expect(await openAll(new PersonalDataVault(h.t.app.get(KYSELY)), dev.accountId, tokens)).toEqual([]);
    const key = await h.t.database.pool.query(`SELECT key, shredded_at FROM personal_data_keys WHERE subject_id = $1`, [dev.accountId]);
    expect(key.rows).toEqual([{ key: null, shredded_at: new Date(dueMs) }]);
    const row = await h.t.database.pool.query(`SELECT email_hash, email_sealed, display_name_sealed, picture_sealed, deleted_at FROM accounts WHERE account_id = $1`, [
      dev.accountId,
    ]);
    expect(row.rows).toEqual([{ email_hash: `deleted:${dev.accountId}`, email_sealed: null, display_name_sealed: null, picture_sealed: null, deleted_at: new Date(dueMs) }]);

    // Money records are kept: the same ledger rows, and the whole ledger still balances.
    expect(await ledgerRows(dev.accountId)).toEqual(ledgerBefore);
    const total = await h.t.database.pool.query(`SELECT coalesce(sum(amount_micro_usd), 0)::text AS total, count(*)::int AS n FROM ledger_postings`);
    expect(total.rows[0]).toMatchObject({ total: '0' });
    expect(total.rows[0].n).toBeGreaterThan(0);
    const balances = await h.t.database.pool.query(`SELECT coalesce(sum(balance_micro_usd), 0)::text AS total FROM ledger_balances`);
    expect(balances.rows[0].total).toBe('0');

    // Keys and sign-in are refused; the email may register anew, as a new account.
    expect(await v1Status(dev.key)).toBe(401);
    expect((await browser.post(`${h.t.url}/auth/login`, { email: pii.email, password: PASSWORD })).status).toBe(401);
    const again2 = await signUp(new Browser(), h.t.url, { email: pii.email, password: PASSWORD });
    expect(again2.status).toBe(201);
    expect(again2.body.accountId).not.toBe(dev.accountId);
  }, 120_000);

  async function ledgerRows(accountId: string) {
    const { rows } = await h.t.database.pool.query(
      `SELECT p.tx_no::text, p.posting_no, p.amount_micro_usd::text, t.type, t.occurred_at FROM ledger_postings p JOIN ledger_transactions t USING (tx_no)
        WHERE p.ledger_account = $1 ORDER BY p.tx_no, p.posting_no`,
      [`developer:${accountId}`],
    );
    return rows;
  }
});

/** Every token that opens under the person's key (others' tokens fail authentication and are skipped). */
async function openAll(vault: PersonalDataVault, subjectId: string, tokens: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const token of tokens) {
    try {
      const value = await vault.open(subjectId, token);
      if (value !== null) out.push(value);
    } catch {
      // sealed for someone else
    }
  }
  return out;
}
