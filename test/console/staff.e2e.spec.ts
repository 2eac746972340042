import { Browser, Page } from 'playwright-core';
import { CreditsService } from '../../src/ledger/credits.service';
import { NodeAgent } from '../../src/node-agent/node-agent';
import { createLogger } from '../../src/platform/observability/logger';
import { PayoutsService } from '../../src/payouts/payouts.service';
import { PricesService } from '../../src/pricing/prices.service';
import OpenAI from 'openai';
import { AccountsService } from '../../src/accounts/accounts.service';
import { AuthTestApp, startAuthApp } from '../auth/auth-app';
import { AGREED } from '../support/eligibility';
import { ctx, MODEL, PRICE } from '../inference/harness';
import { EngineStandin, startEngine } from '../standins/gpu-engine/engine-standin';
import { eventually } from '../support/eventually';
import { freePort } from '../support/net';
import { PASSWORD, signInEachRole, SignedIn, RoleName } from '../support/sign-in';
import { TestConfigOverrides } from '../support/app';
import { buildConsole } from './build';
import { axeViolations, horizontalOverflow, launchChromium, screenshot } from './chromium';

jest.setTimeout(60_000);

const PAYOUT_HOLDBACK_MS = 1_000;

/**
 * Issue 17 step 4 in Chromium: a provider registers a node in the console (token shown once with
 * the agent command), a real agent starts with that token, an admin approves the node, and the
 * provider sees it live; finance reads the trial balance now and at an earlier instant; support
 * replays the provider's account. Each staff page passes axe and fits a phone.
 */
describe('the console in Chromium: provider and staff', () => {
  let t: AuthTestApp;
  let browser: Browser;
  let users: Record<RoleName, SignedIn>;
  let engine: EngineStandin;
  let agent: NodeAgent | null = null;
  const pages: Partial<Record<RoleName, Page>> = {};

  beforeAll(async () => {
    buildConsole();
    t = await startAuthApp('console_staff', {
      nodes: { heartbeatIntervalMs: 100, heartbeatTtlMs: 5_000, sweepIntervalMs: 200, registryRefreshMs: 50, priceRefreshMs: 50 },
      // As test/payouts does: earnings mature after a second, and a cent is enough to pay out.
      payouts: { minimumMicroUsd: 10_000n, holdbackMs: PAYOUT_HOLDBACK_MS },
    } as TestConfigOverrides);
    users = await signInEachRole(t.app, t.url, 'console');
    await t.app.get(PricesService).set({ model: MODEL, ...PRICE }, ctx());
    // Money on the books, so the trial balance has something to balance.
    await t.app.get(CreditsService).grant(users.developer.accountId, 5_000_000n, 'console test credits', ctx());
    await t.caughtUp();
    engine = await startEngine({ models: [MODEL], name: 'console-engine' });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await agent?.stop();
    await engine?.close();
    await browser?.close();
    await t?.close();
  });

  /** Each person in their own browser context (own cookies), signed in through the console's form. */
  async function as(role: RoleName): Promise<Page> {
    if (pages[role]) return pages[role]!;
    pages[role] = await signInAs(users[role].email);
    return pages[role]!;
  }
  async function signInAs(email: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${t.url}/console/`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('signed-in-as').waitFor();
    return page;
  }
  const row = (page: Page, text: string) => page.locator('tr', { hasText: text });

  it('a provider registers a node, its token shown once with the agent command; the agent starts with it', async () => {
    const page = await as('provider');
    await page.getByRole('link', { name: 'My nodes' }).click();
    await page.getByText('No nodes yet').waitFor();
    const port = await freePort();
    await page.getByLabel('Name').fill('gpu-console');
    await page.getByLabel('Endpoint URL (where Tollgate reaches the agent)').fill(`http://127.0.0.1:${port}`);
    await page.getByLabel('Models (comma-separated ids)').fill(MODEL);
    await page.getByRole('button', { name: 'Register node' }).click();
    const command = (await page.getByTestId('node-command').textContent())!;
    const token = /TOLLGATE_NODE_TOKEN=(\S+)/.exec(command)![1];
    console.log(`node command shown once:\n${command.replace(token, token.slice(0, 16) + '…')}`);
    expect(command).toContain(`--gateway ${t.url}`);
    await screenshot(page, 'provider-node-registered');
    await page.getByRole('button', { name: 'Done' }).click();
    await row(page, 'gpu-console').getByText('pending').waitFor();
    expect(await page.content()).not.toContain(token);
    agent = new NodeAgent({
      gatewayUrl: t.url,
      nodeToken: token,
      engineUrl: engine.url,
      engineApiKey: null,
      host: '127.0.0.1',
      port,
      maxConcurrency: 8,
      maxQueue: 16,
      heartbeatIntervalMs: null,
      logger: createLogger('silent'),
    });
    await agent.start();
  });

  it('an admin approves the node, and the provider sees it live with its model ready', async () => {
    const admin = await as('admin');
    await admin.getByRole('link', { name: 'All nodes' }).click();
    await row(admin, 'gpu-console').getByRole('button', { name: 'Approve' }).click();
    await row(admin, 'gpu-console').getByText('approved').waitFor();
    await screenshot(admin, 'admin-nodes');
    const provider = await as('provider');
    await eventually(
      async () => {
        await provider.getByRole('button', { name: 'Refresh' }).click();
        const text = (await row(provider, 'gpu-console').textContent())!;
        if (!(text.includes('approved') && text.includes('yes') && text.includes(MODEL))) throw new Error(`not live yet: ${text}`);
      },
      15_000,
      300,
    );
    console.log(`provider's node row: ${await row(provider, 'gpu-console').innerText()}`);
    await screenshot(provider, 'provider-nodes');
  });

  it('an admin sets a price, and the price table shows the new version at once', async () => {
    const admin = await as('admin');
    await admin.getByRole('link', { name: 'Prices' }).click();
    await row(admin, MODEL).first().waitFor();
    await admin.getByLabel('Model', { exact: true }).fill(MODEL);
    await admin.getByLabel('Input, USD per million tokens').fill('1.5');
    await admin.getByLabel('Output, USD per million tokens').fill('3.25');
    await admin.getByRole('button', { name: 'Set price' }).click();
    await row(admin, '$3.25').waitFor();
    console.log(`price rows: ${(await admin.locator('tbody tr').allInnerTexts()).join(' | ')}`);
    const book = await admin.evaluate<{ data: { model: string; inputMicroUsdPerMTok: string; outputMicroUsdPerMTok: string }[] }>("fetch('/pricing').then((r) => r.json())");
    expect(book.data.find((p) => p.model === MODEL)).toMatchObject({ inputMicroUsdPerMTok: '1500000', outputMicroUsdPerMTok: '3250000' });
    await screenshot(admin, 'admin-prices');
  });

  it('an admin grants a role and suspends then reinstates an account, each shown at once', async () => {
    const admin = await as('admin');
    await admin.getByRole('link', { name: 'Accounts' }).click();
    await admin.getByLabel('Account id, email or API key').fill(users.developer.accountId);
    await admin.getByRole('button', { name: 'Find' }).click();
    await row(admin, users.developer.email).waitFor();
    await admin.getByLabel('Role to grant').selectOption('support');
    await admin.getByRole('button', { name: 'Grant role' }).click();
    await admin.getByRole('button', { name: 'Revoke support' }).waitFor();
    admin.once('dialog', (d) => void d.accept('console test: suspicious traffic'));
    await admin.getByRole('button', { name: 'Suspend' }).click();
    await row(admin, users.developer.email).getByText('suspended').waitFor();
    await admin.getByRole('button', { name: 'Reinstate' }).click();
    await row(admin, users.developer.email).getByText('active').waitFor();
    console.log(`account row after grant, suspend, reinstate: ${await row(admin, users.developer.email).innerText()}`);
    await screenshot(admin, 'admin-accounts');
  });

  it('finance reads the trial balance now and at an earlier instant', async () => {
    const page = await as('finance');
    await page.getByRole('link', { name: 'Trial balance' }).click();
    await expect(page.getByTestId('stat-balanced').textContent()).resolves.toBe('Yes');
    expect(await page.getByTestId('stat-debits').textContent()).not.toBe('$0.00');
    const now = `debits ${await page.getByTestId('stat-debits').textContent()}, credits ${await page.getByTestId('stat-credits').textContent()}`;
    const local = new Date(Date.now() - 60_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
    await page.getByLabel('At (empty: now)').fill(local);
    await page.getByRole('heading', { name: /^At / }).waitFor();
    await expect(page.getByTestId('stat-balanced').textContent()).resolves.toBe('Yes');
    console.log(`trial balance now: ${now}; a minute ago: balanced ${await page.getByTestId('stat-balanced').textContent()}`);
    await screenshot(page, 'finance-trial-balance');
  });

  it('support finds the provider by email and replays the account: state, balance explained, timeline', async () => {
    const page = await as('support');
    await page.getByRole('link', { name: 'Account replay' }).click();
    await page.getByLabel('Account id, email or API key').fill('nobody@example.com');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByText('No account has this id, sign-in email or API key.').waitFor();
    await page.getByLabel('Account id, email or API key').fill(users.provider.email.toUpperCase());
    await page.getByRole('button', { name: 'Find' }).click();
    await expect(page.getByTestId('account-state').textContent()).resolves.toContain(users.provider.accountId);
    const timeline = page.getByRole('region', { name: 'Timeline table' });
    await timeline.waitFor();
    const types = await timeline.locator('tbody tr td:nth-child(2)').allTextContents();
    console.log(`support timeline of the provider: ${types.join(', ')}`);
    expect(types).toContain('AccountRegistered');
    await screenshot(page, 'support-replay');
  });

  it('the provider requests a payout of matured earnings; finance approves it, may not also mark it paid, and a second finance person does', async () => {
    // Traffic through the provider's node: images at 2 cents each, so earnings reach whole cents.
    await t.app.get(PricesService).set({ model: MODEL, ...PRICE }, ctx());
    const key = (await users.developer.browser.post(`${t.url}/me/keys`, { name: 'payout traffic' })).body.key as string;
    const openai = new OpenAI({ apiKey: key, baseURL: `${t.url}/v1`, maxRetries: 0, timeout: 20_000 });
    // The admin's price of an earlier test has no image price: wait until the gateway serves images
    // at PRICE again, then enough traffic for a $0.10 payout (each call earns the provider its share of 4 cents).
    await eventually(
      async () => {
        const res = await openai.images.generate({ model: MODEL, prompt: 'a lighthouse', n: 2 });
        await t.caughtUp();
        const earned = BigInt((await users.provider.browser.get(`${t.url}/provider/payouts/available`)).body.earnedMicroUsd);
        if (earned === 0n) throw new Error('the image price has not reached the gateway yet');
        return res;
      },
      15_000,
      200,
    );
    for (let i = 0; i < 4; i++) await openai.images.generate({ model: MODEL, prompt: 'a lighthouse', n: 2 });
    // The charges are stored when each answer ends; the earnings projection follows them. Wait for it,
    // not a wall clock, then only the hold period remains (a loaded CI machine once took over 15 s here).
    await t.caughtUp();
    const matured = await eventually(
      async () => {
        const a = (await users.provider.browser.get(`${t.url}/provider/payouts/available`)).body;
        if (a.heldBackMicroUsd !== '0' || BigInt(a.availableMicroUsd) < 100_000n) throw new Error(`not matured yet: ${JSON.stringify(a)}`);
        return a;
      },
      PAYOUT_HOLDBACK_MS + 20_000,
      250,
    );
    console.log(`provider earnings after the hold period (${PAYOUT_HOLDBACK_MS} ms): ${JSON.stringify(matured)}`);

    const provider = await as('provider');
    await provider.getByRole('link', { name: 'Payouts' }).click();
    await provider.getByText('No payouts yet.').waitFor();
    await provider.getByLabel('Amount (USD)').fill('0.10');
    await provider.getByRole('button', { name: 'Request payout' }).click();
    await row(provider, '$0.10').getByText('requested').waitFor();
    await screenshot(provider, 'provider-payouts');

    const finance = await as('finance');
    await finance.getByRole('link', { name: 'Payouts' }).click();
    await row(finance, '$0.10').getByRole('button', { name: 'Approve' }).click();
    await finance.getByText('No requested payouts.').waitFor();
    await finance.getByLabel('Status').selectOption('approved');
    // Four eyes: the approver's own "mark paid" is refused, in the server's words.
    finance.once('dialog', (d) => void d.accept('UTR-CONSOLE-1'));
    await row(finance, '$0.10').getByRole('button', { name: 'Mark paid' }).click();
    const refusal = (await finance.getByRole('alert').textContent())!;
    expect(refusal).toContain('another staff member must mark it paid');

    const email = 'console-finance2@example.com';
    await t.app.get(AccountsService).register({ email, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: ['finance'] }, ctx());
    const second = await signInAs(email);
    await second.getByRole('link', { name: 'Payouts' }).click();
    await second.getByLabel('Status').selectOption('approved');
    second.once('dialog', (d) => void d.accept('UTR-CONSOLE-1'));
    await row(second, '$0.10').getByRole('button', { name: 'Mark paid' }).click();
    await second.getByText('No approved payouts.').waitFor();
    await second.getByLabel('Status').selectOption('paid');
    const paid = (await row(second, 'UTR-CONSOLE-1').innerText()).replace(/\s+/g, ' ');
    console.log(`payout: the approver's "mark paid" refused with "${refusal}"; paid by the second finance person: ${paid}`);
    expect(paid).toContain(users.finance.accountId);
    await screenshot(second, 'finance-payouts');
    await eventually(
      async () => {
        await provider.reload();
        await row(provider, '$0.10').getByText('paid').waitFor({ timeout: 1_000 });
      },
      10_000,
      250,
    );
  });

  it("the provider reads the node's record; an admin releases earnings held for review, shown at once", async () => {
    const provider = await as('provider');
    await provider.getByRole('link', { name: 'My nodes' }).click();
    await row(provider, 'gpu-console').getByRole('button', { name: 'Record' }).click();
    await provider.getByTestId('reputation').waitFor();
    const record = `probes ${await provider.getByTestId('stat-probes').textContent()}, error rate ${await provider.getByTestId('stat-error-rate').textContent()}`;
    await screenshot(provider, 'provider-node-record');

    // A review holds the node's earnings of today (the automatic review does this when the record looks wrong).
    const nodes = (await users.provider.browser.get(`${t.url}/provider/nodes`)).body as { id: string; name: string }[];
    const nodeId = nodes.find((n) => n.name === 'gpu-console')!.id;
    const today = new Date().toISOString().slice(0, 10);
    await t.app
      .get(PayoutsService)
      .holdEarnings(users.provider.accountId, { reviewId: `console-${nodeId}`, nodeId, fromDay: today, toDay: today, reason: 'console test: usage over the bound' }, ctx());
    await t.caughtUp();

    const admin = await as('admin');
    await admin.getByRole('link', { name: 'Node reviews' }).click();
    await row(admin, 'console test: usage over the bound').getByRole('button', { name: 'Node record' }).click();
    await admin.getByTestId('reputation').waitFor();
    admin.once('dialog', (d) => void d.accept('console test: fair'));
    await row(admin, 'console test: usage over the bound').getByRole('button', { name: 'Release' }).click();
    await admin.getByText('No open reviews.').waitFor();
    await admin.getByLabel('Status').selectOption('released');
    const released = (await row(admin, 'console test: fair').innerText()).replace(/\s+/g, ' ');
    console.log(`node record seen by the provider: ${record}; review released by the admin: ${released}`);
    expect(released).toContain(users.admin.accountId);
    await screenshot(admin, 'admin-node-reviews');
  });

  it("the admin's network view shows the live node and the traffic it served, community against upstream", async () => {
    const admin = await as('admin');
    await admin.getByRole('link', { name: 'Network' }).click();
    const table = admin.getByRole('region', { name: 'Traffic and margin by source' });
    // The usage read model is asynchronous: the earlier tests' requests reach it within moments.
    const community = await eventually(
      async () => {
        await admin.reload();
        const text = (await table.getByRole('row').filter({ hasText: 'Community nodes' }).innerText({ timeout: 2_000 })).replace(/\s+/g, ' ');
        if (/Community nodes 0 /.test(text)) throw new Error(`no traffic yet: ${text}`);
        return text;
      },
      15_000,
      500,
    );
    const live = await admin.getByTestId('stat-live-nodes').innerText();
    console.log(`network view: live nodes ${live}; ${community}`);
    expect(live).toBe('1');
    await screenshot(admin, 'admin-network');
  });

  it('every staff page passes axe and fits 390 px without horizontal scroll', async () => {
    const measured: string[] = [];
    const visits: [RoleName, string][] = [
      ['provider', '/provider/nodes'],
      ['provider', '/provider/earnings'],
      ['provider', '/provider/payouts'],
      ['finance', '/finance/trial-balance'],
      ['finance', '/finance/journal'],
      ['finance', '/finance/payouts'],
      ['finance', '/finance/statement'],
      ['finance', '/finance/reconciliation'], // payments are off here: the page says so in words
      ['finance', '/finance/refunds'],
      ['support', '/support'],
      ['admin', '/admin/accounts'],
      ['admin', '/admin/nodes'],
      ['admin', '/admin/prices'],
      ['admin', '/admin/audit-log'],
      ['admin', '/admin/network'],
    ];
    // Each role walks its own pages in its own browser context, the four roles side by side: the
    // waits for a quiet network (500 ms each, 30 visits) overlap instead of adding up. The log keeps
    // the list's order, and a failure is reported once every walk has ended (no page left navigating).
    const walks = [...new Set(visits.map(([role]) => role))].map(async (role) => {
      const page = await as(role);
      for (const [i, [who, path]] of visits.entries()) {
        if (who !== role) continue;
        for (const width of [390, 1280]) {
          await page.setViewportSize({ width, height: 844 });
          await page.goto(`${t.url}/console${path}`);
          await page.locator('main h1').waitFor();
          await page.waitForLoadState('networkidle');
          const { scrollWidth, clientWidth } = await horizontalOverflow(page);
          const axe = await axeViolations(page);
          measured[i * 2 + (width === 390 ? 0 : 1)] =
            `${role} ${width}px ${path}: scrollWidth ${scrollWidth} / clientWidth ${clientWidth}; axe serious/critical: ${axe.length ? JSON.stringify(axe) : 0}`;
          expect(axe).toEqual([]);
          expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
        }
      }
    });
    const failed = (await Promise.allSettled(walks)).find((w): w is PromiseRejectedResult => w.status === 'rejected');
    console.log(measured.filter((m) => m !== undefined).join('\n'));
    if (failed) throw failed.reason;
    // 14 pages × 2 widths with axe each: a limit of its own, for a loaded CI machine.
  }, 180_000);
});
