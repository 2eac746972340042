import { Browser, Page } from 'playwright-core';
import { AccountsService } from '../../src/accounts/accounts.service';
import { AGREED } from '../support/eligibility';
import { startPaymentsApp } from '../payments/support';
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
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    buildConsole();
    env = await startPaymentsApp('console_topup');
    await env.t.app.get(AccountsService).register({ email: EMAIL, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: [] }, { actorId: 'operator:test', occurredAt: new Date().toISOString() });
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

  it('fits 390 px and 1280 px without horizontal scroll, axe finds no serious or critical violation, and no CSP rule broke', async () => {
    const measured: string[] = [];
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 844 });
      await page.goto(`${env.t.url}/console/top-up`);
      await page.getByRole('cell', { name: 'credited' }).waitFor();
      const { scrollWidth, clientWidth } = await horizontalOverflow(page);
      const axe = await axeViolations(page);
      measured.push(`${width}px /top-up: scrollWidth ${scrollWidth} / clientWidth ${clientWidth}; axe: ${axe.length} ${axe.length ? JSON.stringify(axe) : ''}`);
      expect(axe).toEqual([]);
      expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    }
    console.log(measured.join('\n'));
    console.log(`CSP violations: ${cspViolations.length}; page errors: ${pageErrors.length}`);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
