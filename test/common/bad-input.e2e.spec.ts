import { randomUUID } from 'node:crypto';
import { AuthTestApp, startAuthApp } from '../auth/auth-app';
import { BrowserResponse } from '../support/browser';
import { RoleName, signInEachRole, SignedIn } from '../support/sign-in';

const NUL = 'a\u0000b';
const LONE_SURROGATE = 'x\ud800';
/** A valid JavaScript date PostgreSQL cannot hold, and two that are no calendar day at all. */
const FAR_PAST = '-271821-04-20T00:00:00Z';
const FAR_FUTURE = '+275760-09-13T00:00:00Z';

function expectProblem(res: BrowserResponse, status: number, code: string, mentions?: string): void {
  expect({ status: res.status, contentType: res.headers.get('content-type'), code: res.body?.code }).toEqual({
    status,
    contentType: expect.stringContaining('application/problem+json'),
    code,
  });
  if (mentions) expect(res.body.detail).toContain(mentions);
}

/** Issue 24: each of these answered 5xx before; each must be a clear 4xx that writes nothing. */
describe('bad input found by fuzzing: refused with a 4xx, nothing written', () => {
  let t: AuthTestApp;
  let as: Record<RoleName, SignedIn>;
  let nodeId: string;

  beforeAll(async () => {
    t = await startAuthApp('bad_input');
    as = await signInEachRole(t.app, t.url, 'bad');
    const node = await as.provider.browser.post(`${t.url}/provider/nodes`, { name: 'gpu-1', endpointUrl: 'http://127.0.0.1:1', models: ['m-1'] });
    nodeId = node.status === 201 ? node.body.nodeId : randomUUID();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('refuses NUL and lone surrogates in any text field with a 400 naming the field, before anything is written', async () => {
    const { developer, provider, admin, finance } = as;
    const dev = developer.accountId;
    const cases: [SignedIn, string, string, (bad: string) => unknown, string][] = [
      [developer, 'POST', '/me/keys', (bad) => ({ name: bad }), 'name'],
      [developer, 'POST', '/me/keys', (bad) => ({ name: 'ok', limits: { [bad]: 1 } }), 'a field name in limits'],
      [provider, 'POST', '/provider/nodes', (bad) => ({ name: bad, endpointUrl: 'http://127.0.0.1:1', models: ['m'] }), 'name'],
      [provider, 'POST', '/provider/nodes', (bad) => ({ name: 'n', endpointUrl: 'http://127.0.0.1:1', models: ['m'], gpuModel: bad }), 'gpuModel'],
      [provider, 'POST', '/provider/nodes', (bad) => ({ name: 'n', endpointUrl: 'http://127.0.0.1:1', models: ['m'], region: bad }), 'region'],
      [provider, 'PUT', `/provider/nodes/${nodeId}/models`, (bad) => ({ models: ['ok', { id: bad }] }), 'models[1].id'],
      [admin, 'POST', `/admin/accounts/${dev}/suspend`, (bad) => ({ reason: bad }), 'reason'],
      [admin, 'POST', `/admin/accounts/${dev}/credits/grants`, (bad) => ({ amountUsd: '1.00', reason: bad }), 'reason'],
      [finance, 'POST', `/admin/accounts/${dev}/credits/corrections`, (bad) => ({ amountUsd: '1.00', reason: bad }), 'reason'],
      [admin, 'POST', `/admin/nodes/${nodeId}/suspend`, (bad) => ({ reason: bad }), 'reason'],
    ];
    for (const [who, method, path, body, field] of cases) {
      for (const bad of [NUL, LONE_SURROGATE]) {
        const res = await who.browser.request(method, `${t.url}${path}`, body(bad));
        expect({ path, field, status: res.status }).toEqual({ path, field, status: 400 });
        expectProblem(res, 400, 'invalid_text', field);
      }
    }
    // Query strings too: a NUL in a filter never reaches SQL.
    expectProblem(await admin.browser.get(`${t.url}/admin/audit-log?actor=a%00b`), 400, 'invalid_text', 'actor (query)');
    expectProblem(await finance.browser.get(`${t.url}/finance/journal?type=x%00`), 400, 'invalid_text', 'type (query)');

    await t.caughtUp();
    expect((await developer.browser.get(`${t.url}/me/keys`)).body).toEqual([]);
    expect((await admin.browser.get(`${t.url}/admin/accounts/${dev}`)).body.status).toBe('active');
    expect((await admin.browser.get(`${t.url}/admin/accounts/${dev}/credits`)).body.ledger).toMatchObject({ debitsMicroUsd: '0', creditsMicroUsd: '0' });
    expect((await provider.browser.get(`${t.url}/provider/nodes`)).body.map((n: { name: string }) => n.name)).toEqual(expect.not.arrayContaining([NUL, LONE_SURROGATE]));
  });

  it('reads every date with one parser and one range: 400 outside it, on every route that takes a date', async () => {
    const { developer, provider, admin, finance, support } = as;
    const dev = developer.accountId;
    const instants: [SignedIn, string][] = [
      [finance, '/finance/trial-balance?at=%s'],
      [developer, '/me/credits/statement?from=%s'],
      [developer, '/me/credits/statement?to=%s'],
      [developer, '/me/credits/statement.csv?from=%s'],
      [finance, '/finance/journal?from=%s'],
      [finance, '/finance/journal?to=%s'],
      [finance, `/finance/ledger-accounts/developer:${dev}?from=%s`],
      [admin, '/admin/audit-log?before=%s'],
      [admin, '/admin/audit-log?from=%s'],
      [admin, '/admin/audit-log?to=%s'],
      [provider, '/provider/payouts/statement?from=%s'],
      [provider, '/provider/payouts/statement?to=%s'],
      [support, `/support/accounts/${dev}/balance-explained?at=%s`],
      [support, `/support/accounts/${dev}/state?at=%s`],
      [support, `/support/accounts/${dev}/timeline?before=%s`],
    ];
    const days: [SignedIn, string][] = [
      [developer, '/me/usage?from=%s'],
      [developer, '/me/usage?to=%s'],
      [developer, '/me/dashboard?from=%s'],
      [developer, '/me/dashboard?to=%s'],
      [provider, '/provider/earnings?from=%s'],
      [provider, '/provider/earnings?to=%s'],
      [admin, '/admin/network?from=%s'],
      [admin, '/admin/network?to=%s'],
    ];
    const statuses: string[] = [];
    for (const [who, path] of [...instants, ...days]) {
      for (const bad of [FAR_PAST, FAR_FUTURE, '2026-13-45', '0000-01-01', '1969-12-31', '9999-01-01', '2026-02-30T00:00:00Z', '2026-11-01T10:00:00']) {
        const res = await who.browser.get(`${t.url}${path.replace('%s', encodeURIComponent(bad))}`);
        statuses.push(`${path} ${bad} ${res.status}`);
        expect({ path, bad, status: res.status }).toEqual({ path, bad, status: 400 });
        expect(res.body.detail).toMatch(/1970-01-01.*9998-12-31/);
      }
    }
    // The ends of the range are accepted.
    expect((await finance.browser.get(`${t.url}/finance/trial-balance?at=1970-01-01T00:00:00Z`)).status).toBe(200);
    expect((await developer.browser.get(`${t.url}/me/credits/statement?from=1970-01-01&to=9998-12-31T23:59:59.999Z`)).status).toBe(200);
    expect((await developer.browser.get(`${t.url}/me/usage?from=9998-12-31`)).status).toBe(200);
    expect((await developer.browser.get(`${t.url}/me/usage?to=1970-01-05`)).status).toBe(200);
    // Bodies: a key's expiry and a price's start.
    for (const bad of [FAR_FUTURE, '2026-02-30T00:00:00Z']) {
      expectProblem(await developer.browser.post(`${t.url}/me/keys`, { name: 'k', expiresAt: bad }), 400, 'invalid_expiry', 'expiresAt');
      expectProblem(
        await admin.browser.post(`${t.url}/admin/prices`, { model: 'm-1', inputMicroUsdPerMTok: '1', outputMicroUsdPerMTok: '1', effectiveAt: bad }),
        400,
        'invalid_effective_time',
        'effectiveAt',
      );
    }
    expect((await developer.browser.get(`${t.url}/me/keys`)).body).toEqual([]);
  });

  it('checks path ids by shape before any query: a NUL or a malformed id is 404', async () => {
    const { provider, finance, admin, developer } = as;
    const paths: [SignedIn, string, string][] = [
      [finance, 'GET', '/finance/payouts/%00/available'],
      [provider, 'GET', '/provider/payouts/%00'],
      [provider, 'GET', '/provider/nodes/a%00b'],
      [admin, 'GET', '/admin/nodes/%00'],
      [admin, 'POST', '/admin/nodes/%20x/approve'],
      [finance, 'GET', '/finance/ledger-accounts/developer%3A%00'],
      [developer, 'GET', '/me/payments/orders/%00'],
      [developer, 'POST', '/me/keys/%00/revoke'],
      [admin, 'POST', `/admin/accounts/${'a'.repeat(300)}/reinstate`],
    ];
    for (const [who, method, path] of paths) {
      const res = await who.browser.request(method, `${t.url}${path}`, method === 'POST' ? {} : undefined);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('refuses /v1 bodies nested deeper than the limit with a 400 in the OpenAI shape, on every endpoint', async () => {
    const issued = await as.developer.browser.post(`${t.url}/me/keys`, { name: 'deep' });
    expect(issued.status).toBe(201);
    const deep = (levels: number) => `{"model":"m-1","x":${'['.repeat(levels)}${']'.repeat(levels)}}`;
    for (const endpoint of ['chat/completions', 'completions', 'embeddings', 'images/generations']) {
      const res = await fetch(`${t.url}/v1/${endpoint}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${issued.body.key}`, 'content-type': 'application/json' },
        body: deep(5_000),
      });
      const body = (await res.json()) as unknown;
      expect({ endpoint, status: res.status, body }).toEqual({
        endpoint,
        status: 400,
        body: { error: expect.objectContaining({ type: 'invalid_request_error', code: 'too_deep', param: null }) },
      });
    }
    // Brackets inside strings are text, not nesting.
    const inString = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${issued.body.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm-1', messages: [{ role: 'user', content: '['.repeat(5_000) + '\\"{' }] }),
    });
    expect(((await inString.json()) as { error?: { code?: string } }).error?.code).not.toBe('too_deep');
    // The dashboard's JSON bodies have the same bound.
    expectProblem(await as.developer.browser.request('POST', `${t.url}/me/keys`, JSON.parse(deep(100))), 400, 'too_deep');
  });

  // Found by the route fuzz suite (test/fuzz), each refused in the wrong shape or not at all.
  it("answers every /v1 refusal in OpenAI's shape, also those Nest makes (a wrong method, a bad query)", async () => {
    const issued = await as.developer.browser.post(`${t.url}/me/keys`, { name: 'shape' });
    const auth = { authorization: `Bearer ${issued.body.key}` };
    for (const [method, path, status] of [
      ['PATCH', '/v1/models', 404],
      ['GET', '/v1/models?x=a%00b', 400],
      ['GET', '/v1/no-such-thing', 404],
      ['DELETE', '/v1/me', 404],
    ] as const) {
      const res = await fetch(`${t.url}${path}`, { method, headers: auth });
      expect({ path, status: res.status, type: res.headers.get('content-type'), body: await res.json() }).toEqual({
        path,
        status,
        type: expect.stringMatching(/^application\/json/),
        body: { error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: expect.any(String) } },
      });
    }
  });

  it("answers requests the HTTP parser refuses (headers over 16 KB) in the route's shape, and HEAD without a body", async () => {
    const { request } = await import('node:http');
    const raw = (method: string, path: string) =>
      new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
        const u = new URL(t.url);
        const req = request({ host: u.hostname, port: u.port, method, path: `${path}?x=${'y'.repeat(20_000)}` }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
        });
        req.on('error', reject);
        req.end();
      });
    const dashboard = await raw('GET', '/me/keys');
    expect({ status: dashboard.status, type: dashboard.type }).toEqual({ status: 431, type: 'application/problem+json; charset=utf-8' });
    expect(JSON.parse(dashboard.body)).toMatchObject({ status: 431, code: 'request_header_fields_too_large', title: 'Request Header Fields Too Large', instance: '/me/keys' });
    const v1 = await raw('POST', '/v1/chat/completions');
    expect({ status: v1.status, body: JSON.parse(v1.body) }).toEqual({
      status: 431,
      body: { error: expect.objectContaining({ type: 'invalid_request_error', code: 'request_header_fields_too_large' }) },
    });
    expect(await raw('HEAD', '/me/keys')).toEqual({ status: 431, type: 'application/problem+json; charset=utf-8', body: '' });
  });

  it("refuses a CSV export's bad filter with an error, never a 200 cut off after its first line", async () => {
    const res = await as.finance.browser.get(`${t.url}/finance/journal.csv?account=no-such-account`);
    expectProblem(res, 404, 'ledger_account_not_found');
    expect(res.headers.get('content-disposition')).toBeNull();
  });
});
