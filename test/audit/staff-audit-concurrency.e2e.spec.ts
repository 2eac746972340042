import { randomUUID } from 'node:crypto';
import { AccountsService } from '../../src/accounts/accounts.service';
import { Role } from '../../src/platform/access/roles';
import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { AuthTestApp, newBrowser, register, startAuthApp } from '../auth/auth-app';
import { auditEvents } from '../support/audit-events';
import { eventually } from '../support/eventually';
import { Browser } from '../support/browser';
import { AGREED } from '../support/eligibility';

const PASSWORD = 'correct horse battery staple';
const CONCURRENT = 256;

/**
 * Every staff request appends one record to the day's audit stream and waits for it (fail closed).
 * A busy team must not be locked out by its own audit trail: a burst of staff requests all on one
 * stream, each answered and each recorded.
 */
describe('staff audit under concurrency', () => {
  let t: AuthTestApp;
  const staff: Browser[] = [];
  let developerId: string;

  beforeAll(async () => {
    t = await startAuthApp('audit_burst');
    const roles: Role[][] = [['admin'], ['finance'], ['support'], ['admin', 'finance', 'support']];
    for (const [i, r] of roles.entries()) {
      const email = `staff-${i}@example.com`;
      await t.app
        .get(AccountsService)
        .register({ email, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: r }, { actorId: 'operator:test', occurredAt: new Date().toISOString() });
      const browser = newBrowser();
      expect((await browser.post(`${t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
      staff.push(browser);
    }
    developerId = await register(newBrowser(), t.url, 'busy-dev@example.com');
    // The account read model is asynchronous: the burst is about the audit trail, not about read-your-writes.
    for (const path of [`/admin/accounts/${developerId}`, `/admin/accounts/${developerId}/credits`, `/support/accounts/${developerId}/timeline?limit=5`]) {
      await eventually(async () => expect((await staff[3].get(`${t.url}${path}`)).status).toBe(200));
    }
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it(`answers ${CONCURRENT} concurrent staff requests, every one recorded in the audit log`, async () => {
    const store = t.app.get<EventStore>(EVENT_STORE);
    // Reads each role may make, spread over the staff members; all go to today's audit stream.
    const calls: [Browser, string][] = [
      [staff[0], '/admin/nodes'],
      [staff[0], `/admin/accounts/${developerId}`],
      [staff[1], '/finance/trial-balance'],
      [staff[1], `/admin/accounts/${developerId}/credits`],
      [staff[2], `/support/accounts/${developerId}/timeline?limit=5`],
      [staff[2], `/admin/accounts/${developerId}`],
      [staff[3], '/admin/audit-log?limit=1'],
      [staff[3], '/finance/payouts'],
    ];
    const requestIds = Array.from({ length: CONCURRENT }, () => randomUUID());
    const started = Date.now();
    const responses = await Promise.all(requestIds.map((id, i) => calls[i % calls.length][0].get(`${t.url}${calls[i % calls.length][1]}`, { 'x-request-id': id })));
    const elapsedMs = Date.now() - started;
    const statuses = new Map<number, number>();
    for (const r of responses) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    const failed = responses.filter((r) => r.status !== 200).length;
    console.log(`staff audit: ${CONCURRENT} concurrent staff requests in ${elapsedMs} ms, ${failed} failed; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(responses.filter((r) => r.status !== 200).map((r) => r.body?.code)).toEqual([]);

    // Picked by request id, not by count: an earlier record (a sign-in's) may commit after this burst began.
    const ours = new Set<string>(requestIds);
    // Every record was committed before its answer; a read of $all may still hold some back while another
    // suite's transaction is in flight (the horizon is cluster-wide), so read until the store has settled.
    const { all, recorded } = await eventually(
      async () => {
        const all = await auditEvents(store);
        const recorded = all.filter((e) => ours.has((e.data as { requestId: string }).requestId));
        const recordedIds = new Set(recorded.map((e) => (e.data as { requestId: string }).requestId));
        expect(requestIds.filter((id) => !recordedIds.has(id))).toEqual([]);
        return { all, recorded };
      },
      15_000,
      100,
    );
    // One stream per day; its revisions have no gaps.
    const streams = new Set(recorded.map((e) => e.stream));
    const byStream = new Map<string, bigint[]>();
    for (const e of all.filter((a) => streams.has(a.stream))) byStream.set(e.stream, [...(byStream.get(e.stream) ?? []), e.revision]);
    for (const revisions of byStream.values()) {
      const sorted = [...revisions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(sorted.every((r, i) => i === 0 || r === sorted[i - 1] + 1n)).toBe(true);
    }
  }, 120_000);
});
