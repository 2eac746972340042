import { randomUUID } from 'node:crypto';
import { AccountsService } from '../../src/accounts/accounts.service';
import { listStaffRoutes, StaffRoute } from '../../src/audit/staff-routes';
import { EVENT_STORE, EventStore, RecordedEvent } from '../../src/platform/event-store/event-store.port';
import { AuthTestApp, newBrowser, register, startAuthApp } from '../auth/auth-app';
import { auditEvents } from '../support/audit-events';
import { Browser, BrowserResponse } from '../support/browser';
import { AGREED } from '../support/eligibility';

const PASSWORD = 'correct horse battery staple';

interface Call {
  route: StaffRoute;
  ids: string[];
  response: BrowserResponse;
}

/** Every route Express serves, whatever registered it: method and path. */
function expressRoutes(t: AuthTestApp): { method: string; path: string }[] {
  const instance = t.app.getHttpAdapter().getInstance() as { router?: { stack: unknown[] }; _router?: { stack: unknown[] } };
  const stack = (instance.router ?? instance._router)?.stack ?? [];
  return stack.flatMap((layer) => {
    const route = (layer as { route?: { path: string; methods: Record<string, boolean> } }).route;
    return route ? Object.keys(route.methods).map((m) => ({ method: m.toUpperCase(), path: route.path })) : [];
  });
}

describe('P11: every administrative action is in an immutable audit log', () => {
  let t: AuthTestApp;
  let staff: { accountId: string; browser: Browser };
  let developer: Browser;
  let routes: StaffRoute[];
  let before: RecordedEvent[];
  const calls: Call[] = [];

  beforeAll(async () => {
    t = await startAuthApp('p11_audit');
    const email = 'all-staff@example.com';
    const { accountId } = await t.app
      .get(AccountsService)
      .register(
        { email, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: ['admin', 'finance', 'support'] },
        { actorId: 'operator:test', occurredAt: new Date().toISOString() },
      );
    staff = { accountId, browser: newBrowser() };
    expect((await staff.browser.post(`${t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
    developer = newBrowser();
    await register(developer, t.url, 'curious-dev@example.com');
    routes = listStaffRoutes(t.app);
    before = await auditEvents(t.app.get<EventStore>(EVENT_STORE));
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('finds the staff routes from Nest itself, and each is served by the running app', () => {
    // A floor, not a list: routes other helpers add are found the same way.
    expect(routes.length).toBeGreaterThanOrEqual(30);
    for (const action of [
      'POST /admin/accounts/:id/suspend',
      'GET /admin/audit-log',
      'GET /finance/journal',
      'GET /support/accounts/:id/timeline',
      'GET /support/accounts/:id/state',
    ]) {
      expect(routes.map((r) => r.action)).toContain(action);
    }
    const served = new Set(expressRoutes(t).map((r) => `${r.method} ${r.path}`));
    for (const route of routes) expect(served).toContain(route.action);
  });

  it('a developer is refused on every staff route', async () => {
    for (const route of routes) {
      const path = route.path.replace(/:\w+/g, () => randomUUID());
      const res = await developer.request(route.method, `${t.url}${path}`, route.method === 'GET' || route.method === 'DELETE' ? undefined : {});
      expect({ action: route.action, status: res.status }).toEqual({ action: route.action, status: 403 });
    }
  });

  it('every staff route, called by staff with fresh ids and a minimal body, is recorded with the actor and the outcome', async () => {
    for (const route of routes) {
      const ids: string[] = [];
      const path = route.path.replace(/:\w+/g, () => {
        ids.push(randomUUID());
        return ids[ids.length - 1];
      });
      const response = await staff.browser.request(route.method, `${t.url}${path}`, route.method === 'GET' || route.method === 'DELETE' ? undefined : {});
      calls.push({ route, ids, response });
    }
    await t.caughtUp();
    for (const { route, ids, response } of calls) {
      const query = ids.length > 0 ? `target=${ids[0]}` : `actor=${staff.accountId}&action=${encodeURIComponent(route.action)}`;
      const log = await staff.browser.get(`${t.url}/admin/audit-log?${query}&limit=500`);
      expect(log.status).toBe(200);
      const entries = (log.body.items as { action: string; actorId: string; target: Record<string, string>; outcome: { status: number; code: string } }[]).filter(
        (e) => e.action === route.action && e.actorId === staff.accountId && ids.every((id) => Object.values(e.target).includes(id)),
      );
      expect({ action: route.action, recorded: entries.length > 0 }).toEqual({ action: route.action, recorded: true });
      const outcomes = entries.map((e) => e.outcome.status);
      // A handler that writes its own response (CSV) is recorded before it answers; its failures are recorded too.
      if (route.takesResponse && response.status === route.successStatus) expect(entries.map((e) => e.outcome.code)).toContain('response_started');
      else expect({ action: route.action, outcomes }).toEqual({ action: route.action, outcomes: expect.arrayContaining([response.status]) });
    }
  }, 120_000);

  it('the audit stream cannot be rewritten: no route writes to it but the recorder, earlier records stay as they were, nothing else is in it', async () => {
    const after = await auditEvents(t.app.get<EventStore>(EVENT_STORE));
    expect(after.length).toBeGreaterThanOrEqual(before.length + calls.length);
    expect(after.slice(0, before.length).map((e) => [e.id, e.stream, e.revision, JSON.stringify(e.data)])).toEqual(
      before.map((e) => [e.id, e.stream, e.revision, JSON.stringify(e.data)]),
    );
    expect(new Set(after.map((e) => e.type))).toEqual(new Set(['StaffActionRecorded']));
    for (const e of after) expect(e.metadata.actorId).toBe(e.data.actorId);
    // The only routes about the audit log read it.
    const auditRoutes = expressRoutes(t).filter((r) => /audit/i.test(r.path));
    expect(auditRoutes.length).toBeGreaterThan(0);
    for (const r of auditRoutes) expect(r.method).toBe('GET');
  });
});
