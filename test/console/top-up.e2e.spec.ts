import { Browser, Page } from 'playwright-core';
import { AccountsService } from '../../src/accounts/accounts.service';
import { AGREED } from '../support/eligibility';
import { settle, startPaymentsApp } from '../payments/support';
import { registerAndSignIn } from '../support/sign-in';
import { buildConsole } from './build';
import { axeViolations, horizontalOverflow, launchChromium, screenshot } from './chromium';

const EMAIL = 'console-topup@example.com';
const PASSWORD = 'correct horse battery staple';

/**
 * Issue 17: a developer tops up in the console through Razorpay Checkout — here the stand-in's
 * Checkout (script and payment form served by the Razorpay stand-in, its URL the
 * RAZORPAY_CHECKOUT_URL setting) — and sees the balance move once Razorpay's signed webhooks
 * land, without reloading the page.
 */
jest.setTimeout(90_000);

describe('the console in Chromium: a top-up through Razorpay Checkout', () => {
  let env: Awaited<ReturnType<typeof startPaymentsApp>>;
  let browser: Browser;
  let page: Page;
  let financePage: Page;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    buildConsole();
    env = await startPaymentsApp('console_topup');
    await env.t.app
      .get(AccountsService)
      .register({ email: EMAIL, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: [] }, { actorId: 'operator:test', occurredAt: new Date().toISOString() });
    await env.t.caughtUp();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(20_000);
    page.on('console', (m) => m.type() === 'error' && /Content.Security.Policy/i.test(m.text()) && cspViolations.push(m.text()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  const stat = async (name: string) => (await page.getByTestId(`stat-${name}`).textContent())!;
  const dollars = (text: string) => Number(text.replace(/[$,]/g, ''));

  it("allows the Checkout script's origin (from the setting) in the CSP and tells the page where it is", async () => {
    const res = await page.goto(`${env.t.url}/console/`);
    const csp = res!.headers()['content-security-policy'];
    const standin = new URL(env.standin.url).origin;
    console.log(`Checkout script: ${env.t.config.payments!.checkoutUrl}; CSP: ${csp}`);
    expect(csp).toContain(`script-src 'self' ${standin}`);
    expect(csp).toContain(`frame-src ${standin}`);
    const settings = await (await fetch(`${env.t.url}/console/settings.json`)).json();
    expect(settings).toMatchObject({ payments: true, checkoutScriptUrl: `${env.standin.url}/v1/checkout.js` });
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('signed-in-as').waitFor();
  });

  it('says nothing was charged when Checkout is closed before paying', async () => {
    await page.getByRole('link', { name: 'Top up' }).click();
    await page.getByText('No top-ups yet.').waitFor();
    await page.getByRole('button', { name: 'Pay with Razorpay' }).click();
    await page.frameLocator('iframe[title="Razorpay Checkout"]').getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('alert').getByText('Checkout was closed before paying. Nothing was charged.').waitFor();
    await expect(page.locator('iframe[title="Razorpay Checkout"]').count()).resolves.toBe(0);
  });

  it('pays $10 in Checkout, shows progress, and shows the balance moved once the webhook lands — no reload', async () => {
    const before = await stat('balance');
    // Razorpay's API answers the worker's first look-up slowly, so the page's progress is seen.
    env.standin.injectFault({ kind: 'latency', ms: 1_500, times: 1, match: { method: 'GET', path: '/v1/payments' } });
    let navigations = 0;
    page.on('framenavigated', (f) => f === page.mainFrame() && navigations++);
    await page.getByLabel('Amount (USD)').fill('10.00');
    await page.getByRole('button', { name: 'Pay with Razorpay' }).click();
    const checkout = page.frameLocator('iframe[title="Razorpay Checkout"]');
    await checkout.getByText('USD 10.00').first().waitFor();
    await screenshot(page, 'top-up-checkout');
    await checkout.getByRole('button', { name: 'Pay USD 10.00' }).click();
    await page.getByTestId('top-up-progress').getByText('Waiting for Razorpay to confirm').waitFor();
    const progress = await page.getByTestId('top-up-progress').textContent();
    await page.getByTestId('top-up-progress').getByText('Added $10.00.').waitFor({ timeout: 60_000 });
    await page.getByRole('cell', { name: 'credited' }).waitFor();
    const after = await stat('balance');
    const deliveries = env.standin.webhookDeliveries().map((d) => `${d.event} ${d.status}`);
    console.log(`top-up: progress "${progress}"; balance ${before} → ${after}; webhooks delivered: ${deliveries.join(', ')}; page navigations after loading: ${navigations}`);
    expect(dollars(after) - dollars(before)).toBe(10);
    expect(deliveries).toEqual(expect.arrayContaining(['payment.captured 200']));
    expect(navigations).toBe(0);
    await screenshot(page, 'top-up');
  });

  it('an admin refunds part of the top-up in the console; finance reads the statement, runs the reconciliation report, and sees the refund and a dispute', async () => {
    const staff = await registerAndSignIn(env.t.app, env.t.url, 'console-topup-finance@example.com', ['finance', 'admin']);
    const me = await page.evaluate<{ accountId: string }>("fetch('/me').then((r) => r.json())");
    const [payment] = (await staff.browser.get(`${env.t.url}/finance/payments?accountId=${me.accountId}`)).body as { paymentId: string }[];
    financePage = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    financePage.setDefaultTimeout(20_000);
    financePage.on('pageerror', (e) => pageErrors.push(e.message));
    await financePage.goto(`${env.t.url}/console/`);
    await financePage.getByLabel('Email').fill('console-topup-finance@example.com');
    await financePage.getByLabel('Password').fill(PASSWORD);
    await financePage.getByRole('button', { name: 'Sign in' }).click();
    await financePage.getByTestId('signed-in-as').waitFor();

    // The admin refunds part of the top-up in the console: the answer says what happened, the list shows it at once.
    await financePage.getByRole('link', { name: 'Refunds', exact: true }).click();
    await financePage.getByText('No refunds yet.').waitFor();
    await financePage.getByLabel('Razorpay payment id').fill(payment.paymentId);
    await financePage.getByLabel('Amount (USD, empty: all that is left)').fill('2.00');
    await financePage.getByLabel('Reason').fill('console test: customer asked');
    await financePage.getByRole('button', { name: 'Refund', exact: true }).click();
    await financePage.getByText(/^Refund (recorded|sent to Razorpay)/).waitFor();
    const refunded = (await financePage.getByRole('region', { name: 'Refunds table' }).locator('tbody tr').first().innerText()).replace(/\s+/g, ' ');
    console.log(`refund made in the console: ${refunded}`);
    expect(refunded).toContain('$2.00');
    await screenshot(financePage, 'admin-refunds');
    const dispute = env.standin.openDispute(payment.paymentId, 300);
    await settle(env.t.app, env.standin);

    await financePage.getByRole('link', { name: 'Account statement' }).click();
    await financePage.getByRole('region', { name: 'Ledger accounts table' }).locator('tr', { hasText: me.accountId }).getByRole('button', { name: 'Statement' }).click();
    const lines = financePage.getByRole('region', { name: 'Statement lines' });
    await lines.getByText('CreditsPurchased').waitFor();
    const statement = (await lines.locator('tbody tr').allInnerTexts()).map((r) => r.replace(/\s+/g, ' '));
    console.log(`statement of developer:${me.accountId}:\n${statement.join('\n')}`);
    expect(statement.some((r) => r.includes('CreditsPurchased') && r.includes('$10.00'))).toBe(true);
    await screenshot(financePage, 'finance-statement');

    await financePage.getByRole('link', { name: 'Reconciliation' }).click();
    await financePage.getByText('The report has not run yet').waitFor();
    await financePage.getByRole('button', { name: 'Run the report now' }).click();
    const runs = financePage.getByRole('region', { name: 'Report runs table' });
    await runs.locator('tbody tr').first().waitFor({ timeout: 30_000 });
    const run = (await runs.locator('tbody tr').first().innerText()).replace(/\s+/g, ' ');
    const found = await financePage.getByRole('region', { name: 'Discrepancies table' }).count();
    console.log(`reconciliation run for today: ${run}; discrepancies table shown: ${found > 0}`);
    expect(run).toContain(new Date().toISOString().slice(0, 10));
    await screenshot(financePage, 'finance-reconciliation');

    await financePage.getByRole('link', { name: 'Refunds and disputes' }).click();
    const refunds = financePage.getByRole('region', { name: 'Refunds table' });
    await refunds.getByText('console test: customer asked').waitFor();
    const disputes = financePage.getByRole('region', { name: 'Disputes table' });
    await disputes.getByText(payment.paymentId).waitFor();
    const refundRow = (await refunds.locator('tbody tr').first().innerText()).replace(/\s+/g, ' ');
    const disputeRow = (await disputes.locator('tbody tr').first().innerText()).replace(/\s+/g, ' ');
    console.log(`refund row: ${refundRow}\ndispute ${dispute.id} row: ${disputeRow}`);
    expect(refundRow).toContain('$2.00');
    expect(disputeRow).toContain('$3.00');
    await screenshot(financePage, 'finance-refunds-disputes');
  });

  it('fits 390 px and 1280 px without horizontal scroll, axe finds no serious or critical violation, and no CSP rule broke', async () => {
    const measured: string[] = [];
    const visits: [Page, string][] = [
      [page, '/top-up'],
      [financePage, '/finance/statement'],
      [financePage, '/finance/reconciliation'],
      [financePage, '/finance/refunds'],
    ];
    // The developer's page and finance's walk side by side (each its own browser context): their
    // waits for a quiet network overlap. The log keeps the list's order; a failure is reported once
    // both walks have ended.
    const walks = [page, financePage].map(async (own) => {
      for (const [i, [p, path]] of visits.entries()) {
        if (p !== own) continue;
        for (const width of [390, 1280]) {
          await p.setViewportSize({ width, height: 844 });
          await p.goto(`${env.t.url}/console${path}`);
          await p.locator('main h1').waitFor();
          await p.waitForLoadState('networkidle');
          const { scrollWidth, clientWidth } = await horizontalOverflow(p);
          const axe = await axeViolations(p);
          measured[i * 2 + (width === 390 ? 0 : 1)] =
            `${width}px ${path}: scrollWidth ${scrollWidth} / clientWidth ${clientWidth}; axe: ${axe.length} ${axe.length ? JSON.stringify(axe) : ''}`;
          expect(axe).toEqual([]);
          expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
        }
      }
    });
    const failed = (await Promise.allSettled(walks)).find((w): w is PromiseRejectedResult => w.status === 'rejected');
    console.log(measured.filter((m) => m !== undefined).join('\n'));
    if (failed) throw failed.reason;
    console.log(`CSP violations: ${cspViolations.length}; page errors: ${pageErrors.length}`);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
