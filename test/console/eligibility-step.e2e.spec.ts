import type { Browser, Page } from 'playwright-core';
import { AuthTestApp, startAuthApp } from '../auth/auth-app';
import { TELEGRAM_BOT_TOKEN, unixNow, widgetPayload } from '../auth/telegram-widget';
import { buildConsole } from './build';
import { launchChromium, screenshot } from './chromium';

/**
 * Issue 22 in the console: a first Telegram sign-in (through the console's own redirect return,
 * #tgAuthResult) lands on the eligibility step; nothing else opens until the person confirms
 * their age and accepts the terms in force; then the console opens.
 */
describe('the console in Chromium: the eligibility step of a first external sign-in', () => {
  let t: AuthTestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    buildConsole();
    t = await startAuthApp('console_eligibility', { telegramBotToken: TELEGRAM_BOT_TOKEN });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 390, height: 800 } })).newPage();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows the step, keeps everything else closed until both boxes are ticked, then opens the console', async () => {
    const fields = widgetPayload({ id: 88_001, first_name: 'Tg', auth_date: unixNow() });
    const result = Buffer.from(JSON.stringify(fields)).toString('base64url');
    await page.goto(`${t.url}/console/#tgAuthResult=${result}`);
    await page.getByRole('heading', { name: 'One more step' }).waitFor();
    await screenshot(page, 'eligibility-step');
    // The server agrees: the session opens nothing but the step.
    const blocked = await page.evaluate("fetch('/me/keys').then((r) => r.status)");
    expect(blocked).toBe(403);
    const continueButton = page.getByRole('button', { name: 'Continue' });
    expect(await continueButton.isDisabled()).toBe(true);
    await page.getByLabel('I am 18 or older').check();
    expect(await continueButton.isDisabled()).toBe(true);
    await page.getByLabel(/I accept the terms/).check();
    await continueButton.click();
    await page.getByTestId('signed-in-as').waitFor();
    const opened = await page.evaluate("fetch('/me/keys').then((r) => r.status)");
    console.log(`eligibility step: /me/keys before ${blocked}, after confirming ${opened}`);
    expect(opened).toBe(200);
  });
});
