import { loadConfig } from '../../src/platform/config/config';
import { AccountsService } from '../../src/accounts/accounts.service';
import { Role } from '../../src/platform/access/roles';
import { AuthTestApp, newBrowser, register, startAuthApp } from '../auth/auth-app';
import { Browser } from '../support/browser';
import { eventually } from '../support/eventually';
import { AGREED } from '../support/eligibility';

const PASSWORD = 'correct horse battery staple';

describe('ledger over HTTP: developer balance and statement, finance audit, audited grants and corrections', () => {
  let t: AuthTestApp;
  let developer: Browser;
  let developerId: string;
  let admin: { accountId: string; browser: Browser };
  let finance: { accountId: string; browser: Browser };

  async function staff(email: string, roles: Role[]) {
    const { accountId } = await t.app
      .get(AccountsService)
      .register({ email, password: PASSWORD, via: 'cli', eligibility: AGREED, roles }, { actorId: 'operator:test', occurredAt: new Date().toISOString() });
    const browser = newBrowser();
    expect((await browser.post(`${t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
    return { accountId, browser };
  }

  const credits = async () => (await developer.get(`${t.url}/me/credits`)).body;

  beforeAll(async () => {
    // No free tier here, so every figure below is what this suite moved (the free tier: P15).
    t = await startAuthApp('ledger_http', { ledger: { ...loadConfig({ NODE_ENV: 'test' }).ledger, freeTierMicroUsd: 0n } });
    developer = newBrowser();
    developerId = await register(developer, t.url, 'dev@example.com');
    admin = await staff('admin@example.com', ['admin']);
    finance = await staff('finance@example.com', ['finance']);
    await t.caughtUp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a new developer has no credits', async () => {
    expect(await credits()).toEqual({ currency: 'USD', balanceMicroUsd: '0', heldMicroUsd: '0', availableMicroUsd: '0', balanceUsd: '0.00', availableUsd: '0.00' });
  });

  it('admins and finance grant credits with a reason; developers cannot; bad input is a clear 400, an unknown account 404', async () => {
    const grants = `${t.url}/admin/accounts/${developerId}/credits/grants`;
    expect((await developer.post(grants, { amountUsd: '5', reason: 'me' })).status).toBe(403);
    const bad = await admin.browser.post(grants, { amountUsd: '12.3456789', reason: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'invalid_amount' });
    expect((await admin.browser.post(grants, { amountUsd: '5' })).body).toMatchObject({ code: 'invalid_body' });
    expect((await admin.browser.post(`${t.url}/admin/accounts/00000000-0000-4000-8000-000000000000/credits/grants`, { amountUsd: '5', reason: 'x' })).status).toBe(404);

    const granted = await admin.browser.post(grants, { amountUsd: '25.00', reason: 'welcome credit', operationId: 'welcome-1' });
    expect(granted.status).toBe(201);
    expect(granted.body).toEqual({ recorded: true, type: 'CreditsGranted', amountMicroUsd: '25000000', operationId: 'welcome-1', status: 'applied' });
    // A retry with the same operation id records nothing more.
    expect((await admin.browser.post(grants, { amountUsd: '25.00', reason: 'welcome credit', operationId: 'welcome-1' })).body).toMatchObject({ recorded: false });
    expect((await finance.browser.post(grants, { amountUsd: '0.50', reason: 'goodwill' })).status).toBe(201);
    await eventually(async () => expect(await credits()).toMatchObject({ balanceMicroUsd: '25500000', availableMicroUsd: '25500000', availableUsd: '25.50' }));
  });

  it('a correction can take credits away, never more than are available', async () => {
    const corrections = `${t.url}/admin/accounts/${developerId}/credits/corrections`;
    const tooMuch = await admin.browser.post(corrections, { amountUsd: '-30', reason: 'clawback' });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body).toMatchObject({ code: 'insufficient_credits' });
    expect((await admin.browser.post(corrections, { amountUsd: '-5.5', reason: 'duplicate grant' })).status).toBe(201);
    await eventually(async () => expect(await credits()).toMatchObject({ balanceMicroUsd: '20000000', heldMicroUsd: '0' }));
  });

  it('the statement explains the balance: newest first, running balance, pages, CSV', async () => {
    await t.caughtUp();
    const statement = (await developer.get(`${t.url}/me/credits/statement`)).body;
    expect(statement.items.map((l: { type: string; amountMicroUsd: string; balanceAfterMicroUsd: string }) => [l.type, l.amountMicroUsd, l.balanceAfterMicroUsd])).toEqual([
      ['CreditsCorrected', '-5500000', '20000000'],
      ['CreditsGranted', '500000', '25500000'],
      ['CreditsGranted', '25000000', '25000000'],
    ]);
    expect(statement.items[0]).not.toHaveProperty('reason'); // staff notes stay with staff
    const first = (await developer.get(`${t.url}/me/credits/statement?limit=2`)).body;
    expect(first.items).toHaveLength(2);
    const rest = (await developer.get(`${t.url}/me/credits/statement?limit=2&cursor=${first.nextCursor}`)).body;
    expect(rest).toMatchObject({ items: [{ type: 'CreditsGranted', amountMicroUsd: '25000000' }], nextCursor: null });
    expect((await developer.get(`${t.url}/me/credits/statement?limit=0`)).status).toBe(400);
    expect((await developer.get(`${t.url}/me/credits/statement?from=yesterday`)).body).toMatchObject({ code: 'invalid_query' });

    const csv = await developer.get(`${t.url}/me/credits/statement.csv`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('entry_no,occurred_at,type,reference,amount_usd,balance_after_usd,amount_micro_usd,balance_after_micro_usd');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(',CreditsCorrected,');
    expect(lines[1]).toContain(',-5.50,20.00,-5500000,20000000');
  });

  it('finance audits: journal with filters, trial balance, an account ledger with reasons and actors; developers are kept out', async () => {
    await t.caughtUp();
    for (const path of ['/finance/journal', '/finance/trial-balance', `/finance/ledger-accounts/developer:${developerId}`])
      expect((await developer.get(`${t.url}${path}`)).status).toBe(403);

    const journal = (await finance.browser.get(`${t.url}/finance/journal?account=developer:${developerId}`)).body;
    expect(journal.items).toHaveLength(3);
    for (const entry of journal.items) expect(entry.postings.reduce((s: bigint, p: { amountMicroUsd: string }) => s + BigInt(p.amountMicroUsd), 0n)).toBe(0n);
    expect(journal.items[0]).toMatchObject({ type: 'CreditsCorrected', reason: 'duplicate grant', actorId: admin.accountId, ownerId: developerId });
    expect((await finance.browser.get(`${t.url}/finance/journal?type=CreditsGranted`)).body.items).toHaveLength(2);
    expect((await finance.browser.get(`${t.url}/finance/journal?account=nonsense`)).status).toBe(404);

    const trial = (await admin.browser.get(`${t.url}/finance/trial-balance`)).body;
    expect(trial.totals).toEqual({ debitsMicroUsd: '31000000', creditsMicroUsd: '31000000', netMicroUsd: '0', balanced: true });
    expect(trial.platform).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ account: 'platform:promotions', normalBalanceMicroUsd: '25500000' }),
        expect.objectContaining({ account: 'platform:corrections', normalBalanceMicroUsd: '-5500000' }),
      ]),
    );
    const past = (await finance.browser.get(`${t.url}/finance/trial-balance?at=2000-01-01T00:00:00Z`)).body;
    expect(past.totals).toEqual({ debitsMicroUsd: '0', creditsMicroUsd: '0', netMicroUsd: '0', balanced: true });

    const ledger = (await finance.browser.get(`${t.url}/finance/ledger-accounts/developer:${developerId}`)).body;
    expect(ledger.totals).toMatchObject({ normalBalanceMicroUsd: '20000000', entries: '3' });
    expect(ledger.lines.items[2]).toMatchObject({ reason: 'welcome credit', actorId: admin.accountId });
    expect((await finance.browser.get(`${t.url}/finance/ledger-accounts?kind=platform`)).body.items.map((a: { account: string }) => a.account)).toEqual([
      'platform:corrections',
      'platform:promotions',
    ]);

    const csv = await finance.browser.get(`${t.url}/finance/journal.csv?account=developer:${developerId}`);
    expect(csv.text.trim().split('\r\n')).toHaveLength(1 + 3 * 2);
  });
});
