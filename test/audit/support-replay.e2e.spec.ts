import OpenAI from 'openai';
import { AccountsService } from '../../src/accounts/accounts.service';
import { Role } from '../../src/platform/access/roles';
import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { newBrowser, signUp } from '../auth/auth-app';
import { startInferenceHarness, InferenceHarness, MODEL } from '../inference/harness';
import { Browser } from '../support/browser';
import { cli } from '../support/cli';
import { eventually } from '../support/eventually';
import { AGREED } from '../support/eligibility';

const PASSWORD = 'correct horse battery staple';
const EMAIL = 'Zelda.Replay@example.com';
const NAME = 'Zelda Quuxington';
const CLI_TIMEOUT_MS = 120_000;

interface Snapshot {
  at: Date;
  balanceMicroUsd: string;
  keys: { keyId: string; revoked: boolean }[];
  status: string;
  roles: string[];
}

describe('support replay: timeline, state at an instant, balance explained; every look-up audited', () => {
  let h: InferenceHarness;
  let url: string;
  let admin: { accountId: string; browser: Browser };
  let support: { accountId: string; browser: Browser };
  let finance: { accountId: string; browser: Browser };
  let dev: Browser;
  let devId: string;
  let openai: OpenAI;
  const snapshots: Snapshot[] = [];

  async function staff(email: string, roles: Role[]) {
    const { accountId } = await h.t.app
      .get(AccountsService)
      .register({ email, password: PASSWORD, via: 'cli', eligibility: AGREED, roles }, { actorId: 'operator:test', occurredAt: new Date().toISOString() });
    const browser = newBrowser();
    expect((await browser.post(`${url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
    return { accountId, browser };
  }

  /** Waits until nothing is in flight and the read models have every event, then records what the dashboard shows. */
  async function snapshot(): Promise<Snapshot> {
    await h.t.caughtUp();
    await eventually(async () => expect((await dev.get(`${url}/me/credits`)).body.heldMicroUsd).toBe('0'), 10_000);
    await h.t.caughtUp();
    const credits = (await dev.get(`${url}/me/credits`)).body;
    const keys = (await dev.get(`${url}/me/keys`)).body as { id: string; status: string }[];
    const account = (await admin.browser.get(`${url}/admin/accounts/${devId}`)).body;
    const at = new Date();
    await new Promise((r) => setTimeout(r, 15)); // the next event is recorded strictly after `at`
    return {
      at,
      balanceMicroUsd: credits.balanceMicroUsd,
      keys: keys.map((k) => ({ keyId: k.id, revoked: k.status === 'revoked' })).sort((a, b) => a.keyId.localeCompare(b.keyId)),
      status: account.status,
      roles: [...account.roles].sort(),
    };
  }

  async function chat(): Promise<void> {
    const res = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Say hello' }] });
    expect(res.choices[0].message.content).toBeTruthy();
  }

  const stateAt = async (at: Date) => (await support.browser.get(`${url}/support/accounts/${devId}/state?at=${at.toISOString()}`)).body;

  beforeAll(async () => {
    h = await startInferenceHarness('audit_replay');
    url = h.t.url;
    admin = await staff('admin-replay@example.com', ['admin']);
    support = await staff('support-replay@example.com', ['support']);
    finance = await staff('finance-replay@example.com', ['finance']);
    dev = newBrowser();
    const registered = await signUp(dev, url, { email: EMAIL, password: PASSWORD, displayName: NAME });
    expect(registered.status).toBe(201);
    devId = registered.body.accountId;
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('records what the dashboard showed at t1 and t2 while real traffic, grants, keys and a suspension happen', async () => {
    expect((await admin.browser.post(`${url}/admin/accounts/${devId}/credits/grants`, { amountUsd: '10.00', reason: 'replay test' })).status).toBe(201);
    const issued = await dev.post(`${url}/me/keys`, { name: 'first' });
    expect(issued.status).toBe(201);
    openai = new OpenAI({ apiKey: issued.body.key, baseURL: `${url}/v1`, maxRetries: 0, timeout: 20_000 });
    // $10 granted on top of the $1 free tier (the email was proven at sign-up).
    await eventually(async () => expect((await dev.get(`${url}/me/credits`)).body.availableMicroUsd).toBe('11000000'), 10_000);
    await chat();
    await chat();
    snapshots.push(await snapshot());

    const second = await dev.post(`${url}/me/keys`, { name: 'second' });
    openai = new OpenAI({ apiKey: second.body.key, baseURL: `${url}/v1`, maxRetries: 0, timeout: 20_000 });
    expect((await dev.post(`${url}/me/keys/${issued.body.apiKey.id}/revoke`)).status).toBe(204);
    await chat();
    expect((await finance.browser.post(`${url}/admin/accounts/${devId}/credits/corrections`, { amountUsd: '-1.25', reason: 'replay test' })).status).toBe(201);
    snapshots.push(await snapshot());

    expect((await admin.browser.post(`${url}/admin/accounts/${devId}/suspend`, { reason: 'replay test' })).status).toBe(204);
    await h.t.caughtUp();

    const [t1, t2] = snapshots;
    expect(BigInt(t1.balanceMicroUsd)).toBeLessThan(11_000_000n); // two charged requests
    expect(BigInt(t2.balanceMicroUsd)).toBeLessThan(BigInt(t1.balanceMicroUsd) - 1_250_000n);
    expect(t1.keys).toHaveLength(1);
    expect(t2.keys).toHaveLength(2);
  }, 120_000);

  it('state?at=t1 and t2 equal what the projections showed then, folded from the events', async () => {
    for (const snap of snapshots) {
      const state = await stateAt(snap.at);
      expect(state.credits.balanceMicroUsd).toBe(snap.balanceMicroUsd);
      expect(state.apiKeys.map((k: { keyId: string; revoked: boolean }) => ({ keyId: k.keyId, revoked: k.revoked }))).toEqual(snap.keys);
      expect(state.account.status).toBe(snap.status);
      expect([...state.account.roles].sort()).toEqual(snap.roles);
      expect(state.apiKeys[0]).not.toHaveProperty('keyHash');
      expect(state.account).not.toHaveProperty('passwordHash');
    }
    const now = (await support.browser.get(`${url}/support/accounts/${devId}/state`)).body;
    expect(now.account.status).toBe('suspended');
    const before = await stateAt(new Date('2000-01-01T00:00:00Z'));
    expect(before).toMatchObject({ account: { exists: false }, apiKeys: [], credits: { balanceMicroUsd: '0', entries: 0 } });
  });

  it('balance-explained at t1 and t2 ends at the recorded balance, with the running balance per line', async () => {
    for (const snap of snapshots) {
      const explained = (await support.browser.get(`${url}/support/accounts/${devId}/balance-explained?at=${snap.at.toISOString()}`)).body;
      expect(explained.balanceMicroUsd).toBe(snap.balanceMicroUsd);
      const lines = explained.lines as { amountMicroUsd: string; balanceAfterMicroUsd: string }[];
      // Oldest to newest, each running balance is the previous one plus the line.
      const total = lines.reduce((sum, l) => sum + BigInt(l.amountMicroUsd), 0n);
      expect(total.toString()).toBe(snap.balanceMicroUsd);
    }
    const t2 = (await support.browser.get(`${url}/support/accounts/${devId}/balance-explained?at=${snapshots[1].at.toISOString()}`)).body;
    expect(t2.lines[0]).toMatchObject({ type: 'CreditsCorrected', amountMicroUsd: '-1250000', actorId: finance.accountId });
  });

  it("finance's journal filters by owner (the gap filled), in JSON and CSV", async () => {
    const journal = (await finance.browser.get(`${url}/finance/journal?owner=${devId}&limit=500`)).body.items as { type: string; ownerId: string }[];
    expect(new Set(journal.map((e) => e.type))).toEqual(new Set(['FreeTierGranted', 'CreditsGranted', 'CreditsCorrected', 'UsageRecorded']));
    expect(journal.every((e) => e.ownerId === devId)).toBe(true);
    expect(journal.filter((e) => e.type === 'UsageRecorded')).toHaveLength(3);
    expect((await finance.browser.get(`${url}/finance/journal?owner=00000000-0000-4000-8000-000000000000`)).body.items).toEqual([]);
    const csv = (await finance.browser.get(`${url}/finance/journal.csv?owner=${devId}&type=CreditsCorrected`)).text.trim().split('\r\n');
    expect(csv).toHaveLength(3); // header + two postings
    expect(csv[1]).toContain(devId);
  });

  it('the timeline spans every stream of the account, newest first, pages without overlap, and holds no personal data', async () => {
    const all = (await support.browser.get(`${url}/support/accounts/${devId}/timeline?limit=500`)).body;
    const types = all.items.map((e: { type: string }) => e.type);
    for (const type of ['AccountRegistered', 'SignedIn', 'CreditsGranted', 'ApiKeyIssued', 'ApiKeyRevoked', 'UsageRecorded', 'CreditsCorrected', 'AccountSuspended'])
      expect(types).toContain(type);
    expect(types.filter((t: string) => t === 'UsageRecorded')).toHaveLength(3);
    const streams = new Set(all.items.map((e: { stream: string }) => e.stream.split('-')[0]));
    expect([...streams].sort()).toEqual(['account', 'apikey', 'credits', 'signins', 'usage']);
    const times = all.items.map((e: { time: string }) => Date.parse(e.time));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(all.items.find((e: { type: string }) => e.type === 'AccountSuspended')).toMatchObject({ actorId: admin.accountId });
    expect(all.items.find((e: { type: string }) => e.type === 'UsageRecorded').summary).toMatchObject({ model: MODEL, status: 'completed' });

    const text = JSON.stringify(all).toLowerCase();
    for (const secret of [EMAIL.toLowerCase(), 'zelda', 'quuxington', 'pd1.', '198.51.100', 'mozilla', 'say hello', 'replay test']) expect(text).not.toContain(secret);

    const pages: { type: string; stream: string; revision: string }[] = [];
    let before: string | null = null;
    do {
      const page: { items: typeof pages; nextCursor: string | null } = (
        await support.browser.get(`${url}/support/accounts/${devId}/timeline?limit=4${before ? `&before=${encodeURIComponent(before)}` : ''}`)
      ).body;
      pages.push(...page.items);
      before = page.nextCursor;
    } while (before);
    expect(pages.map((e) => `${e.stream}@${e.revision}`)).toEqual(all.items.map((e: { stream: string; revision: string }) => `${e.stream}@${e.revision}`));

    const window = (await support.browser.get(`${url}/support/accounts/${devId}/timeline?to=${snapshots[0].at.toISOString()}&limit=500`)).body;
    expect(window.items.every((e: { time: string }) => Date.parse(e.time) < snapshots[0].at.getTime())).toBe(true);
    expect(window.items.filter((e: { type: string }) => e.type === 'UsageRecorded')).toHaveLength(2);
  });

  it('developers and finance cannot reach support routes; unknown accounts are 404; bad input 400', async () => {
    for (const path of [`/support/accounts/${devId}/timeline`, `/support/accounts/${devId}/state`, `/support/accounts/${devId}/balance-explained`, '/admin/audit-log']) {
      const other = newBrowser();
      await signUp(other, url, { email: `nosy-${Math.random()}@example.com`, password: PASSWORD });
      expect((await other.get(`${url}${path}`)).status).toBe(403);
    }
    expect((await finance.browser.get(`${url}/support/accounts/${devId}/timeline`)).status).toBe(403);
    expect((await support.browser.get(`${url}/support/accounts/00000000-0000-4000-8000-000000000000/timeline`)).status).toBe(404);
    expect((await support.browser.get(`${url}/support/accounts/${devId}/state?at=yesterday`)).status).toBe(400);
    expect((await support.browser.get(`${url}/support/accounts/${devId}/timeline?limit=0`)).status).toBe(400);
  });

  it("support's look-ups are in the audit log with the actor, target and outcome; no email in any row", async () => {
    await h.t.caughtUp();
    const log = (await admin.browser.get(`${url}/admin/audit-log?actor=${support.accountId}&limit=500`)).body;
    const actions = log.items.map((e: { action: string }) => e.action);
    expect(actions).toContain('GET /support/accounts/:id/timeline');
    expect(actions).toContain('GET /support/accounts/:id/state');
    expect(actions).toContain('GET /support/accounts/:id/balance-explained');
    const stateLookup = log.items.find((e: { action: string; outcome: { status: number } }) => e.action === 'GET /support/accounts/:id/state' && e.outcome.status === 200);
    expect(stateLookup).toMatchObject({ actorId: support.accountId, actorRoles: expect.arrayContaining(['support']), target: { id: devId }, channel: 'http' });
    const refused = log.items.filter((e: { outcome: { status: number } }) => e.outcome.status === 400).map((e: { outcome: { code: string } }) => e.outcome.code);
    expect(refused.sort()).toEqual(['invalid_limit', 'invalid_query']);
    expect(log.items.find((e: { outcome: { status: number } }) => e.outcome.status === 404)).toMatchObject({ target: { id: '00000000-0000-4000-8000-000000000000' } });

    const aboutDev = (await admin.browser.get(`${url}/admin/audit-log?target=${devId}&action=${encodeURIComponent('POST /admin/accounts/:id/suspend')}`)).body;
    expect(aboutDev.items).toEqual([expect.objectContaining({ actorId: admin.accountId, outcome: { status: 204, exitCode: null, code: 'ok' } })]);

    // The refused developers' attempts never reached the handler (RolesGuard refused them before), so only staff are in the log.
    const rows = (await h.t.database.pool.query(`SELECT row_to_json(a)::text AS j FROM audit_log a`)).rows.map((r) => r.j as string);
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) expect(row).not.toMatch(/@|zelda/i);

    const csv = await admin.browser.get(`${url}/admin/audit-log.csv?actor=${support.accountId}`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.text.split('\r\n')[0]).toBe('at,actor_id,actor_roles,action,channel,target,query,outcome_status,outcome_exit_code,outcome_code,request_id,event_id');
    expect(csv.text).toContain('GET /support/accounts/:id/timeline');
  });

  it('fails closed: when the audit record cannot be written the staff route answers 503 and nothing unrecorded goes out', async () => {
    const store = h.t.app.get<EventStore>(EVENT_STORE);
    const append = store.append.bind(store);
    const spy = jest
      .spyOn(store, 'append')
      .mockImplementation((stream, events, expected) => (stream.startsWith('audit-') ? Promise.reject(new Error('audit down')) : append(stream, events, expected)));
    try {
      const res = await support.browser.get(`${url}/support/accounts/${devId}/state`);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'audit_unavailable' });
      expect(res.text).not.toContain(devId.slice(0, 8) + '","at"');
      expect((await admin.browser.get(`${url}/admin/audit-log.csv`)).status).toBe(503); // before any byte of the export
      expect((await dev.get(`${url}/me`)).status).not.toBe(503); // not a staff route: not audited
    } finally {
      spy.mockRestore();
    }
  });

  it(
    'account:replay on the CLI finds the account by email, prints timeline and state, and is audited as operator:cli',
    async () => {
      const env = { DATABASE_URL: h.t.database.url, APP_SECRET: h.t.config.appSecret };
      const run = await cli(env, ['account:replay', '--email', EMAIL.toUpperCase(), '--at', snapshots[0].at.toISOString()]);
      expect(run.code).toBe(0);
      const out = JSON.parse(run.stdout);
      expect(out.accountId).toBe(devId);
      expect(out.state.credits.balanceMicroUsd).toBe(snapshots[0].balanceMicroUsd);
      expect(out.timeline.items.length).toBeGreaterThan(3);
      expect(run.stdout.toLowerCase()).not.toContain('zelda');
      expect((await cli(env, ['account:replay', '--email', 'nobody@example.com'])).code).toBe(1);

      await h.t.caughtUp();
      const log = (await admin.browser.get(`${url}/admin/audit-log?actor=operator:cli`)).body.items;
      expect(log).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ action: 'CLI account:replay', channel: 'cli', target: { accountId: devId }, outcome: { status: null, exitCode: 0, code: 'ok' } }),
          expect.objectContaining({ action: 'CLI account:replay', target: {}, outcome: { status: null, exitCode: 1, code: 'account_not_found' } }),
        ]),
      );
      expect(JSON.stringify(log)).not.toContain('@');
    },
    CLI_TIMEOUT_MS * 2,
  );
});
