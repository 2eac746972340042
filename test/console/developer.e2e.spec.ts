import { Browser, BrowserContext, Page } from 'playwright-core';
import { CreditsService } from '../../src/ledger/credits.service';
import { BalanceFeeder } from '../../src/ledger/spending/balance-feeder';
import { Position } from '../../src/platform/event-store/event-store.port';
import { ctx, InferenceHarness, MODEL, startInferenceHarness } from '../inference/harness';
import { eventually } from '../support/eventually';
import { mailedSignUpToken, sharedSmtpSink } from '../support/smtp-sink';
import { newBrowser } from '../auth/auth-app';
import { buildConsole } from './build';
import { axeViolations, horizontalOverflow, launchChromium, recordRequests, screenshot } from './chromium';

const EMAIL = 'console-dev@example.com';
const PASSWORD = 'correct horse battery staple';
/** The engine stand-in's reply, sent as 5 chunks ('Hello', ' from', …) this far apart. */
const REPLY = 'Hello from the engine.';
const CHUNK_DELAY_MS = 250;

/**
 * Issue 17: a developer's journey through the built console in Debian's Chromium — sign up
 * (with the emailed link), credits, a key shown once, the playground streaming through /v1
 * from the GPU node stand-in, usage, sign-out and sign-in — and the page never talking to
 * another origin; then every page at phone width without horizontal scroll.
 */
jest.setTimeout(60_000);

describe('the console in Chromium: a developer', () => {
  let h: InferenceHarness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let requests: string[];
  let origin: string;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    buildConsole();
    h = await startInferenceHarness('console_dev');
    h.engines[0].chunkDelayMs = CHUNK_DELAY_MS;
    origin = new URL(h.t.url).origin;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    // A failing step names itself well inside jest's limit for the test.
    page.setDefaultTimeout(15_000);
    requests = recordRequests(page);
    page.on('console', (m) => m.type() === 'error' && /Content.Security.Policy/i.test(m.text()) && cspViolations.push(m.text()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  const main = () => page.locator('main');

  it('signs up with the emailed link, and the console answers with its CSP', async () => {
    const res = await page.goto(`${h.t.url}/console/`);
    const csp = res!.headers()['content-security-policy'];
    console.log(`CSP on /console/: ${csp}`);
    expect(csp).toContain("default-src 'self'");
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const signInAxe = await axeViolations(page);
    console.log(`axe on the sign-in page: ${signInAxe.length} serious or critical violations ${JSON.stringify(signInAxe)}`);
    expect(signInAxe).toEqual([]);
    await screenshot(page, 'sign-in');
    await page.getByRole('button', { name: 'Create one' }).click();
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    // Issue 22: no account without the age confirmation and the terms in force accepted.
    await expect(page.getByRole('button', { name: 'Create account' }).isDisabled()).resolves.toBe(true);
    await page.getByLabel('I am 18 or older').check();
    await page.getByLabel(/I accept the terms/).check();
    const asked = Date.now();
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('a link to confirm it is on its way').waitFor();
    const token = await mailedSignUpToken(await sharedSmtpSink(), EMAIL, asked);
    // The mailed link's page: one button that confirms (a POST), as a person would click it.
    await page.goto(`${h.t.url}/auth/register/confirm?token=${token}`);
    await page.locator('form button, form input[type=submit]').first().click();
    await page.waitForLoadState();
    await page.goto(`${h.t.url}/console/`);
    await expect(page.getByTestId('signed-in-as').textContent()).resolves.toBe(EMAIL);
    await screenshot(page, 'overview-empty');
  });

  it('shows credits granted to the account in its balance', async () => {
    const before = (await page.getByTestId('stat-available').textContent())!; // the free tier, if any
    const me = await page.evaluate<{ accountId: string }>("fetch('/me').then((r) => r.json())");
    const { position } = await h.t.app.get(CreditsService).grant(me.accountId, 5_000_000n, 'console test credits', ctx());
    await h.t.app.get(BalanceFeeder).waitUntilPassed(position as Position);
    await h.t.caughtUp();
    await page.reload();
    const after = (await page.getByTestId('stat-available').textContent())!;
    console.log(`overview: available ${before} before a $5 grant, ${after} after; balance ${await page.getByTestId('stat-balance').textContent()}`);
    expect(Number(after.slice(1)) - Number(before.slice(1))).toBe(5);
  });

  it('creates a key shown once with a copy button, then only its prefix', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    await page.getByRole('link', { name: 'API keys' }).click();
    await main().getByText('No keys yet').waitFor();
    await page.getByLabel('Name').fill('playground');
    await page.getByLabel('Requests per minute (optional)').fill('60');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('new-key-value');
    const key = (await shown.textContent())!;
    expect(key).toMatch(/^tg_live_[A-Za-z0-9]{12}_/);
    await page.getByRole('button', { name: 'Copy' }).click();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(key);
    await screenshot(page, 'key-shown-once');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    const prefix = key.split('_').slice(0, 3).join('_');
    await page.getByText(`${prefix}…`).waitFor();
    const after = await page.content();
    console.log(`key: shown once as ${prefix}_… (${key.length} chars); afterwards the page holds the prefix ${after.includes(prefix)} and the key ${after.includes(key)}`);
    expect(after).not.toContain(key);
    await expect(main().textContent()).resolves.toContain('60 req/min');
  });

  it('streams a chat completion in the playground token by token through /v1', async () => {
    await page.getByRole('link', { name: 'Playground' }).click();
    await expect(page.getByLabel('Model', { exact: true }).locator('option').first().textContent()).resolves.toBe(MODEL);
    await page.getByLabel('Message').fill('Say hello');
    const v1Calls: string[] = [];
    page.on('request', (r) => r.url().includes('/v1/') && v1Calls.push(`${r.method()} ${new URL(r.url()).pathname}`));
    await page.getByRole('button', { name: 'Send' }).click();
    // Sample the reply while it streams: it must grow through several partial texts.
    const seen: string[] = [];
    const reply = page.getByTestId('message-assistant').locator('.text');
    const started = Date.now();
    while (Date.now() - started < 10_000) {
      const text = ((await reply.textContent()) ?? '').replace('…', '');
      if (text && seen.at(-1) !== text) seen.push(text);
      if (text === REPLY) break;
      await page.waitForTimeout(40);
    }
    console.log(`playground: the reply grew through ${seen.length} states: ${JSON.stringify(seen)}; /v1 calls: ${JSON.stringify(v1Calls)}`);
    expect(seen.at(-1)).toBe(REPLY);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (const partial of seen) expect(REPLY.startsWith(partial)).toBe(true);
    expect(v1Calls).toEqual(['POST /v1/chat/completions']);
    await screenshot(page, 'playground');
  });

  it('shows the request in the usage table, with a CSV made from its rows', async () => {
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByLabel('Group by').selectOption('model');
    await eventually(
      async () => {
        await page.getByLabel('Group by').selectOption('day');
        await page.getByLabel('Group by').selectOption('model');
        await page.getByTestId('usage-table').getByText(MODEL).waitFor({ timeout: 1_000 });
      },
      15_000,
      200,
    );
    const csv = decodeURIComponent((await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href'))!.split(',').slice(1).join(','));
    console.log(`usage CSV:\n${csv}`);
    expect(csv.split('\n')[0]).toBe('model,requests,input_tokens,output_tokens,latency_p50_ms,latency_p95_ms,spend_micro_usd');
    expect(csv).toContain(`${MODEL},1,7,5,`);
    expect(csv.trim().endsWith(',17')).toBe(true); // 7 in × $1/M + 5 out × $2/M
    await screenshot(page, 'usage');
  });

  it('shows the statement: the grant and the charge, each with the balance after it', async () => {
    await page.getByRole('link', { name: 'Statement', exact: true }).click();
    const lines = page.getByRole('region', { name: 'Statement lines' });
    await lines.getByText('UsageRecorded').first().waitFor();
    const rows = (await lines.locator('tbody tr').allInnerTexts()).map((r) => r.replace(/\s+/g, ' '));
    console.log(`statement:\n${rows.join('\n')}`);
    expect(rows.some((r) => r.includes('CreditsGranted'))).toBe(true);
    expect(rows.find((r) => r.includes('UsageRecorded'))).toContain('-$0.000017'); // the usage test's charge, to the micro-dollar
    expect(await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href')).toMatch(/^\/me\/credits\/statement\.csv\?from=/);
    await screenshot(page, 'statement');
  });

  it('changes notification preferences and restricts processing, each shown at once', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    const product = page.getByRole('checkbox', { name: /^product/ });
    await expect(product.isChecked()).resolves.toBe(true);
    await expect(page.getByRole('checkbox', { name: /^security/ }).isDisabled()).resolves.toBe(true); // essential
    await product.click(); // the box follows the server's answer to the PATCH
    await page.getByRole('status').getByText('Saved: product mails off.').waitFor();
    await expect(product.isChecked()).resolves.toBe(false);
    await page.getByLabel('Low-balance alert below (USD, empty for none)').fill('2.50');
    await page.getByRole('button', { name: 'Save threshold' }).click();
    await page.getByRole('status').getByText('Saved: low-balance alert below $2.50.').waitFor();
    // The page showed the PATCH's answer; a later GET may trail it by a moment (a read model).
    const prefs = await eventually(
      async () => {
        const read = await page.evaluate<{ categories: { category: string; enabled: boolean }[]; lowBalance: { thresholdMicroUsd: string } }>(
          "fetch('/me/notifications').then((r) => r.json())",
        );
        expect(read.categories.find((c) => c.category === 'product')!.enabled).toBe(false);
        expect(read.lowBalance.thresholdMicroUsd).toBe('2500000');
        return read;
      },
      10_000,
      100,
    );
    console.log(
      `preferences on the server: product ${prefs.categories.find((c) => c.category === 'product')!.enabled}, low-balance threshold ${prefs.lowBalance.thresholdMicroUsd} micro-USD`,
    );
    await page.getByRole('button', { name: 'Restrict processing' }).click();
    await page.getByRole('button', { name: /^Lift restriction/ }).click();
    await page.getByRole('button', { name: 'Restrict processing' }).waitFor();
    await screenshot(page, 'settings');
  });

  it('signs out and back in with the password', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    console.log(`wrong password: "${await page.getByRole('alert').textContent()}"`);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('signed-in-as').textContent()).resolves.toBe(EMAIL);
  });

  it('lists the sessions with this browser marked, and signs out a phone at once', async () => {
    const phone = newBrowser('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1');
    expect((await phone.post(`${h.t.url}/auth/login`, { email: EMAIL, password: PASSWORD })).status).toBe(200);
    await page.getByRole('link', { name: 'Sessions' }).click();
    const table = page.getByRole('region', { name: 'Sessions table' });
    await table.getByText('Safari on iOS').waitFor();
    const current = (await page.getByTestId('session-current').innerText()).replace(/\s+/g, ' ');
    console.log(`sessions page: ${(await table.locator('tbody tr').allInnerTexts()).map((r) => r.replace(/\s+/g, ' ')).join(' | ')}`);
    expect(current).toContain('Chrome on Linux (this browser)');
    await page.locator('tr', { hasText: 'Safari on iOS' }).getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('status').getByText('Signed out Safari on iOS.').waitFor();
    await expect(table.getByText('Safari on iOS').count()).resolves.toBe(0);
    const phoneMe = await phone.get(`${h.t.url}/me`);
    console.log(`the phone after being signed out from the console: /me ${phoneMe.status}`);
    expect(phoneMe.status).toBe(401);
    await screenshot(page, 'sessions');
  });

  it('requested nothing from any other origin, broke no CSP rule and threw nothing', () => {
    const foreign = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:'));
    const paths = new Set(requests.map((u) => (u.startsWith('data:') ? 'data:' : new URL(u).pathname.replace(/[0-9a-f-]{36}|-[A-Za-z0-9_-]{8}\.(js|css)$/, '…'))));
    console.log(`${requests.length} requests by the page, ${foreign.length} to another origin; paths: ${[...paths].join(' ')}`);
    expect(foreign).toEqual([]);
    console.log(`CSP violations reported by Chromium: ${cspViolations.length}; uncaught page errors: ${pageErrors.length}`);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('fits a 390 px wide phone screen without horizontal scroll, and 1280 px too, and axe finds no serious or critical violation', async () => {
    const measured: string[] = [];
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 844 });
      for (const path of ['/', '/keys', '/playground', '/top-up', '/usage', '/sessions', '/settings']) {
        await page.goto(`${h.t.url}/console${path}`);
        await page.locator('main h1').waitFor();
        await page.waitForTimeout(200); // charts size themselves after layout
        const { scrollWidth, clientWidth } = await horizontalOverflow(page);
        const axe = await axeViolations(page);
        measured.push(
          `${width}px ${path}: scrollWidth ${scrollWidth} / clientWidth ${clientWidth}; axe: ${axe.length} serious or critical ${axe.length ? JSON.stringify(axe) : ''}`,
        );
        expect(axe).toEqual([]);
        if (scrollWidth > clientWidth)
          console.log(
            path,
            await page.evaluate(
              `[...document.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > ${clientWidth} + 1).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 15).join('\\n')`,
            ),
          );
        expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
        if (width === 390) await screenshot(page, `phone${path === '/' ? '-overview' : path.replace('/', '-')}`);
      }
    }
    console.log(measured.join('\n'));
  });
});
