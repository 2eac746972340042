import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { projectors } from '../../src/read-models';
import { READ_MODELS_CHECKPOINT } from '../../src/platform/projection-runtime/checkpoint';
import { verifyProjections } from '../../src/platform/projection-runtime/verify';
import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../../src/platform/personal-data/personal-data.vault';
import { maskAadhaar, maskPan, normaliseAadhaar, normalisePan } from '../../src/privacy/kyc/kyc-numbers';
import { KycRetention } from '../../src/privacy/kyc/kyc-retention';
import { verhoeffCheckDigit, verhoeffValid } from '../../src/privacy/kyc/verhoeff';
import { AuthTestApp, startAuthApp } from '../auth/auth-app';
import { testOverrides } from '../payments/support';
import { registerAndSignIn } from '../support/sign-in';
import { RazorpayStandin, startRazorpayStandin } from '../standins/razorpay/standin';
import { KycView } from '../../src/privacy/kyc/kyc.schemas';
import { redisContaining, tablesContaining } from '../support/privacy-scan';
import { waitFor } from '../support/eventually';
import { openTestRedis } from '../support/redis';

// Long enough that a loaded CI machine still reads the numbers before the window ends.
const RETENTION_MS = 10_000;

/** A valid Aadhaar-shaped number no other suite uses: 11 random digits (first 2..9) plus the Verhoeff digit. */
function freshAadhaar(): string {
  const body = `${2 + Math.floor(Math.random() * 8)}${Array.from({ length: 10 }, () => Math.floor(Math.random() * 10)).join('')}`;
  return `${body}${verhoeffCheckDigit(body)}`;
}
/** A valid individual's PAN no other suite uses. */
function freshPan(): string {
  const letters = () => String.fromCharCode(65 + Math.floor(Math.random() * 26));
  return `${letters()}${letters()}${letters()}P${letters()}${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}${letters()}`;
}

describe('P17: identity numbers are protected and kept only as long as required', () => {
  describe('validation', () => {
    it('computes and checks Verhoeff digits against published values', () => {
      // Published examples: 236 → 3, 12345 → 1, 142857 → 0; UIDAI's sample Aadhaar numbers.
      expect([verhoeffCheckDigit('236'), verhoeffCheckDigit('12345'), verhoeffCheckDigit('142857')]).toEqual([3, 1, 0]);
      for (const valid of ['2363', '123451', '1428570', '999941057058', '499118665246', '234123412346']) expect(verhoeffValid(valid)).toBe(true);
      // One digit changed, two adjacent digits swapped: both caught.
      for (const bad of ['2364', '123452', '234123412347', '324123412346', '499118665264']) expect(verhoeffValid(bad)).toBe(false);
    });

    it('accepts PANs and Aadhaar numbers by their rules, and refuses the rest with a reason', () => {
      expect(normalisePan(' abcpe1234f ')).toBe('ABCPE1234F');
      for (const holder of 'PCHFATBLJG') expect(normalisePan(`ABC${holder}E1234F`)).toBe(`ABC${holder}E1234F`);
      for (const bad of ['ABCXE1234F', 'ABCP1234F', 'ABCPE12345', '1BCPE1234F', 'ABCPE1234', ''])
        expect(() => normalisePan(bad)).toThrow(expect.objectContaining({ code: 'invalid_pan' }));
      expect(normaliseAadhaar('2341 2341 2346')).toBe('234123412346');
      for (const bad of ['034123412346', '134123412346', '234123412347', '23412341234', '2341234123466', '23412341234a']) {
        expect(() => normaliseAadhaar(bad)).toThrow(expect.objectContaining({ code: 'invalid_aadhaar' }));
      }
      expect(maskPan('ABCPE1234F')).toBe('ABCPE****F');
      expect(maskAadhaar('234123412346')).toBe('XXXX XXXX 2346');
    });
  });

  describe('end to end, with KYC_REQUIRED on', () => {
    const logFile = join(tmpdir(), `tollgate-kyc-${randomUUID()}.log`);
    let standin: RazorpayStandin;
    let t: AuthTestApp;
    let redis: Redis;

    beforeAll(async () => {
      standin = await startRazorpayStandin();
      t = await startAuthApp('policy_kyc', { ...testOverrides(standin), logLevel: 'trace', logFile, kyc: { required: true, retentionMs: RETENTION_MS, sweepIntervalMs: 200 } });
      redis = openTestRedis();
    });
    afterAll(async () => {
      await redis?.quit();
      await t?.close();
      await standin?.close();
      rmSync(logFile, { force: true });
    });

    const events = async (stream: string) =>
      t.app
        .get<EventStore>(EVENT_STORE)
        .readStream(stream)
        .catch(() => []);

    it('refuses malformed numbers with 400 and stores nothing', async () => {
      const dev = await registerAndSignIn(t.app, t.url, `kyc-bad-${randomUUID()}@example.com`);
      const put = (body: unknown) => dev.browser.request('PUT', `${t.url}/me/kyc`, body);
      for (const [body, code] of [
        [{ pan: 'ABCXE1234F', aadhaar: '234123412346' }, 'invalid_pan'],
        [{ pan: 'ABCPE1234F', aadhaar: '134123412346' }, 'invalid_aadhaar'],
        [{ pan: 'ABCPE1234F', aadhaar: '234123412347' }, 'invalid_aadhaar'],
        [{ pan: 'ABCPE1234F' }, 'invalid_body'],
        [{ pan: 'ABCPE1234F', aadhaar: '234123412346', name: 'x' }, 'invalid_body'],
      ] as const) {
        const res = await put(body);
        expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code });
      }
      expect(await events(`kyc-${dev.accountId}`)).toEqual([]);
      expect((await dev.browser.get(`${t.url}/me/kyc`)).status).toBe(404);
    });

    it('gates payments and API keys, seals and masks the numbers, records who verified, and shreds them after the window', async () => {
      const dev = await registerAndSignIn(t.app, t.url, `kyc-dev-${randomUUID()}@example.com`);
      const admin = await registerAndSignIn(t.app, t.url, `kyc-admin-${randomUUID()}@example.com`, ['admin']);
      const support = await registerAndSignIn(t.app, t.url, `kyc-support-${randomUUID()}@example.com`, ['support']);
      const pan = freshPan();
      const aadhaar = freshAadhaar();

      // Gated before anything is submitted, and while waiting for verification.
      const refusedKey = await dev.browser.post(`${t.url}/me/keys`, { name: 'ci' });
      expect({ status: refusedKey.status, code: refusedKey.body.code }).toEqual({ status: 403, code: 'kyc_required' });
      expect(refusedKey.body.detail).toMatch(/PUT \/me\/kyc/);
      const refusedOrder = await dev.browser.post(`${t.url}/me/payments/orders`, { amountUsd: '10.00' });
      expect({ status: refusedOrder.status, code: refusedOrder.body.code }).toEqual({ status: 403, code: 'kyc_required' });

      const submitted = await dev.browser.request('PUT', `${t.url}/me/kyc`, {
        pan: pan.toLowerCase(),
        aadhaar: `${aadhaar.slice(0, 4)} ${aadhaar.slice(4, 8)} ${aadhaar.slice(8)}`,
      });
      expect(submitted.status).toBe(200);
      expect(submitted.body).toMatchObject({ status: 'submitted', pan: `${pan.slice(0, 5)}****${pan[9]}`, aadhaar: `XXXX XXXX ${aadhaar.slice(8)}` });
      expect((await dev.browser.post(`${t.url}/me/keys`, { name: 'ci' })).status).toBe(403);

      // Verification: admins only; support reads; the admin is the recorded actor.
      expect((await support.browser.post(`${t.url}/admin/accounts/${dev.accountId}/kyc/verify`)).status).toBe(403);
      expect((await dev.browser.post(`${t.url}/admin/accounts/${dev.accountId}/kyc/verify`)).status).toBe(403);
      expect((await dev.browser.get(`${t.url}/admin/accounts/${dev.accountId}/kyc`)).status).toBe(403);
      expect((await admin.browser.post(`${t.url}/admin/accounts/${dev.accountId}/kyc/verify`)).status).toBe(204);
      const verified = (await events(`kyc-${dev.accountId}`)).find((e) => e.type === 'KycVerified');
      expect(verified?.metadata.actorId).toBe(admin.accountId);
      await t.caughtUp();
      const staffView = await support.browser.get(`${t.url}/admin/accounts/${dev.accountId}/kyc`);
      expect(staffView.status).toBe(200);
      expect(staffView.body).toMatchObject({ status: 'verified', decidedBy: admin.accountId, pan: submitted.body.pan, aadhaar: submitted.body.aadhaar, numbersShreddedAt: null });
      const ownView = await dev.browser.get(`${t.url}/me/kyc`);
      expect(ownView.body).toMatchObject({ status: 'verified', pan: submitted.body.pan });
      expect(ownView.body.decidedBy).toBeUndefined();

      // Verified: keys and payment orders are open.
      const key = await dev.browser.post(`${t.url}/me/keys`, { name: 'ci' });
      expect(key.status).toBe(201);
      expect((await dev.browser.post(`${t.url}/me/payments/orders`, { amountUsd: '10.00' })).status).toBe(201);

      // Sealed: the clear numbers (and their unmasked middles) are in no table, event, Redis key or log line.
      const clear = [pan, aadhaar, aadhaar.slice(0, 8)];
      const submittedEvent = (await events(`kyc-${dev.accountId}`)).find((e) => e.type === 'KycSubmitted')!;
      const subject = submittedEvent.data.subject as string;
      expect(String(submittedEvent.data.pan)).toMatch(/^pd1\./);
      expect(String(submittedEvent.data.aadhaar)).toMatch(/^pd1\./);
      expect(await tablesContaining(t.database.pool, [subject])).toEqual(
        expect.arrayContaining([expect.stringMatching(/^events: /), expect.stringMatching(/^personal_data_keys: /)]),
      ); // the search finds what is there
      expect(await tablesContaining(t.database.pool, clear)).toEqual([]);
      expect(await tablesContaining(t.database.pool, [submitted.body.pan, submitted.body.aadhaar])).toEqual([]); // masks sealed too
      expect(await redisContaining(redis, clear)).toEqual([]);
      const logs = readFileSync(logFile, 'utf8');
      expect(logs).toContain('/me/kyc'); // the requests were logged
      for (const value of clear) expect(logs).not.toContain(value);

      // The numbers open while kept...
      const vault = t.app.get<PersonalDataVault>(PERSONAL_DATA_VAULT);
      const fresh = new PersonalDataVault(t.database.db); // no in-memory key cache
      expect(await fresh.open(subject, submittedEvent.data.pan as string)).toBe(pan);
      expect(await vault.open(subject, submittedEvent.data.aadhaar as string)).toBe(aadhaar);

      // ...and the worker's sweep destroys their key once KYC_RETENTION_DAYS (here 10 s) after verification have passed.
      const shredded = await waitFor(async () => (await events(`kyc-${dev.accountId}`)).find((e) => e.type === 'KycNumbersShredded'), 30_000, 'the KYC numbers to be shredded', 20);
      expect(shredded.metadata.actorId).toBe('system:kyc-retention');
      expect(shredded.data.subjects).toEqual([subject]);
      expect(Date.parse(shredded.data.shreddedAt as string) - Date.parse(verified!.data.verifiedAt as string)).toBeGreaterThanOrEqual(RETENTION_MS);
      const keyRow = await t.database.db.selectFrom('personal_data_keys').selectAll().where('subject_id', '=', subject).executeTakeFirstOrThrow();
      expect(keyRow).toMatchObject({ key: null, shredded_at: expect.any(Date) });
      expect(await new PersonalDataVault(t.database.db).open(subject, submittedEvent.data.pan as string)).toBeNull();
      expect(await vault.open(subject, submittedEvent.data.aadhaar as string)).toBeNull();

      // Only the numbers: the profile, the masked forms and the verified status remain.
      await t.caughtUp();
      expect((await dev.browser.get(`${t.url}/me`)).body.email).toMatch(/^kyc-dev-/);
      const after = await dev.browser.get(`${t.url}/me/kyc`);
      expect(after.body).toMatchObject({ status: 'verified', pan: submitted.body.pan, aadhaar: submitted.body.aadhaar, numbersShreddedAt: shredded.data.shreddedAt });
      // Every answer is what the document says (the schema @OkResponse publishes).
      for (const answer of [submitted.body, staffView.body, ownView.body, after.body]) KycView.parse(answer);
      expect((await dev.browser.post(`${t.url}/me/keys`, { name: 'second' })).status).toBe(201);
    }, 90_000);

    it('keeps rejected numbers for the window too, lets the person resubmit under a new key, and records the reason and actor', async () => {
      const dev = await registerAndSignIn(t.app, t.url, `kyc-rej-${randomUUID()}@example.com`);
      const admin = await registerAndSignIn(t.app, t.url, `kyc-admin2-${randomUUID()}@example.com`, ['admin']);
      expect((await dev.browser.request('PUT', `${t.url}/me/kyc`, { pan: freshPan(), aadhaar: freshAadhaar() })).status).toBe(200);
      expect((await admin.browser.post(`${t.url}/admin/accounts/${dev.accountId}/kyc/reject`, {})).status).toBe(400);
      expect((await admin.browser.post(`${t.url}/admin/accounts/${dev.accountId}/kyc/reject`, { reason: 'name does not match the PAN' })).status).toBe(204);
      const rejected = (await events(`kyc-${dev.accountId}`)).find((e) => e.type === 'KycRejected')!;
      expect(rejected.metadata.actorId).toBe(admin.accountId);
      expect((await dev.browser.post(`${t.url}/me/keys`, { name: 'ci' })).body.detail).toMatch(/rejected/);
      expect((await admin.browser.post(`${t.url}/admin/accounts/${dev.accountId}/kyc/verify`)).status).toBe(409);

      // Before the window ends the sweep leaves them alone.
      expect((await t.app.get(KycRetention).sweep(Date.parse(rejected.data.rejectedAt as string) + RETENTION_MS - 100)).shredded).not.toContain(dev.accountId);
      const second = await dev.browser.request('PUT', `${t.url}/me/kyc`, { pan: freshPan(), aadhaar: freshAadhaar() });
      expect(second.body.status).toBe('submitted');
      const submissions = (await events(`kyc-${dev.accountId}`)).filter((e) => e.type === 'KycSubmitted');
      expect(new Set(submissions.map((e) => e.data.subject)).size).toBe(2);
      // A pending submission is never shredded, however old the previous decision.
      expect((await t.app.get(KycRetention).sweep(Date.now() + 10 * RETENTION_MS)).shredded).not.toContain(dev.accountId);
      expect((await events(`kyc-${dev.accountId}`)).some((e) => e.type === 'KycNumbersShredded')).toBe(false);
    });

    it('rebuilds the KYC read model from the events row for row', async () => {
      await t.caughtUp();
      const { rows } = await t.database.pool.query(`SELECT count(*)::int AS n FROM kyc_verifications WHERE numbers_shredded_at IS NOT NULL`);
      expect(rows[0].n).toBeGreaterThan(0);
      const report = await verifyProjections(t.database.db, t.app.get<EventStore>(EVENT_STORE), projectors, { checkpointName: READ_MODELS_CHECKPOINT, batchSize: 3 });
      expect(report.tables.find((x) => x.table === 'kyc_verifications')).toBeDefined();
      expect(report.ok).toBe(true);
    });
  });
});
