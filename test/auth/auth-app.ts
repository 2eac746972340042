import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../../src/platform/config/config';
import { PROJECTION_RUNNER } from '../../src/platform/projection-runtime/projection-runtime.module';
import { ProjectionRunner } from '../../src/platform/projection-runtime/projection-runner';
import { startTestApp, TestConfigOverrides } from '../support/app';
import { Browser, BrowserResponse } from '../support/browser';
import { mailedSignUpToken, sharedSmtpSink } from '../support/smtp-sink';
import { createTestDatabase, TestDatabase } from '../support/database';
import { waitFor } from '../support/eventually';

export interface AuthTestApp {
  database: TestDatabase;
  app: INestApplication;
  url: string;
  host: string;
  config: AppConfig;
  caughtUp(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real application on a fresh database. A random APP_SECRET per suite keeps its Redis keys
 * (keyed hashes) apart from other suites and earlier runs on the shared Redis; proxies on
 * loopback are trusted so each test can be "another client IP" through X-Forwarded-For.
 */
export async function startAuthApp(label: string, overrides: TestConfigOverrides = {}): Promise<AuthTestApp> {
  const database = await createTestDatabase(label);
  try {
    const { app, url, config } = await startTestApp(database.url, { appSecret: randomBytes(32).toString('hex'), trustProxy: 'loopback', ...overrides });
    // Redis commands fail fast until its connection is up (no offline queue), as a load balancer would wait for readiness.
    await waitFor(
      async () =>
        (await fetch(`${url}/health/ready`).then(
          (r) => r.status,
          () => 0,
        )) === 200,
      10_000,
      'the test app to become ready',
      20,
    );
    return {
      database,
      app,
      url,
      host: new URL(url).host,
      config,
      caughtUp: () => app.get<ProjectionRunner>(PROJECTION_RUNNER).waitUntilCaughtUp(),
      async close() {
        await app.close();
        await database.drop();
      },
    };
  } catch (err) {
    await database.drop();
    throw err;
  }
}

let nextIp = 1;
/** A browser with its own (documentation-range) client IP and user agent. */
export function newBrowser(userAgent = 'Mozilla/5.0 (X11; Linux x86_64) TollgateTest/1.0'): Browser {
  const n = nextIp++;
  return new Browser({ 'x-forwarded-for': `198.51.100.${n % 250}`, 'user-agent': userAgent });
}

/**
 * A password sign-up as a person makes it: the form (202), then the link mailed to the address
 * (read from the SMTP sink), confirmed. Answers the confirmation (201 and signed in), or the
 * form's own answer when that was not 202.
 */
export async function signUp(
  browser: Browser,
  url: string,
  body: { email: string; password: string; displayName?: string },
  headers: Record<string, string> = {},
): Promise<BrowserResponse> {
  const asked = Date.now();
  // As the sign-up form does (issue 22): 18 or older, and the versions in force accepted.
  const started = await browser.post(`${url}/auth/register`, { ...(await eligibilityInForce(url)), ...body }, headers);
  if (started.status !== 202) return started;
  const token = await mailedSignUpToken(await sharedSmtpSink(), body.email, asked);
  return browser.post(`${url}/auth/register/confirm`, { token }, headers);
}

/** What a person confirms at sign-up: 18 or older, and the terms and privacy policy in force (read as a client would). */
export async function eligibilityInForce(url: string): Promise<{ over18: true; termsVersion: string; privacyVersion: string }> {
  const version = async (kind: string) => ((await (await fetch(`${url}/legal/${kind}`)).json()) as { inForce: { version: string } }).inForce.version;
  return { over18: true, termsVersion: await version('terms'), privacyVersion: await version('privacy') };
}

/**
 * The eligibility step a first Google/Telegram sign-in lands on (issue 22): confirm 18 or older and
 * accept the versions in force, as the console does.
 */
export async function confirmEligibility(browser: Browser, url: string): Promise<void> {
  const res = await browser.post(`${url}/me/eligibility`, await eligibilityInForce(url));
  if (res.status !== 204) throw new Error(`confirming eligibility failed: ${res.status} ${res.text}`);
}

export async function register(browser: Browser, url: string, email: string, password = 'correct horse battery staple'): Promise<string> {
  const res = await signUp(browser, url, { email, password });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  return res.body.accountId as string;
}
