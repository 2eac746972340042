import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig, CryptoConfig, PaymentsConfig } from '../../src/platform/config/config';
import { CoinbaseStandin } from '../standins/coinbase/standin';
import { EVENT_STORE, EventStore, RecordedEvent } from '../../src/platform/event-store/event-store.port';
import { StreamNotFoundError } from '../../src/platform/event-store/event-store.errors';
import { developerAccount } from '../../src/ledger/ledger-accounts';
import { LedgerQueries } from '../../src/ledger/ledger.queries';
import { PAYMENT_JOBS } from '../../src/payments/payments.tokens';
import { PaymentJobs } from '../../src/payments/queue/payment-jobs';
import { workerContext } from '../../src/payments/reconcile/payment-reconciler';
import { ReconciliationReport, ReconciliationReporter } from '../../src/payments/reconcile/reconciliation-report';
import { PROJECTION_RUNNER } from '../../src/platform/projection-runtime/projection-runtime.module';
import { ProjectionRunner } from '../../src/platform/projection-runtime/projection-runner';
import { AuthTestApp, startAuthApp } from '../auth/auth-app';
import { TestConfigOverrides } from '../support/app';
import { RazorpayStandin, startRazorpayStandin } from '../standins/razorpay/standin';
import { waitFor } from '../support/eventually';

export { PASSWORD } from '../support/sign-in';

/** The app's payments block pointed at the stand-in; fast retries and a short job lock for tests. */
export function standinPayments(standin: RazorpayStandin, overrides: Partial<PaymentsConfig> = {}): PaymentsConfig {
  return {
    keyId: standin.keyId,
    keySecret: standin.keySecret,
    webhookSecret: standin.webhookSecret,
    webhookSecretPrevious: null,
    apiUrl: standin.url,
    checkoutUrl: `${standin.url}/v1/checkout.js`,
    apiTimeoutMs: 2_000,
    topupMinMicroUsd: 5_000_000n,
    topupMaxMicroUsd: 1_000_000_000n,
    sweepIntervalMs: 86_400_000, // tests sweep on demand
    sweepMaxAgeHours: 72,
    reportCron: '15 0 * * *',
    jobAttempts: 4,
    jobBackoffMs: 50,
    jobLockMs: 1_000,
    ...overrides,
  };
}

/** The app's crypto block pointed at the Coinbase Commerce stand-in. */
export function standinCrypto(standin: CoinbaseStandin, overrides: Partial<CryptoConfig> = {}): CryptoConfig {
  return {
    apiKey: standin.apiKey,
    webhookSecret: standin.webhookSecret,
    apiUrl: standin.url,
    apiTimeoutMs: 2_000,
    topupMinMicroUsd: 5_000_000n,
    topupMaxMicroUsd: 1_000_000_000n,
    sweepIntervalMs: 86_400_000, // tests sweep on demand
    sweepMaxAgeHours: 72,
    jobAttempts: 4,
    jobBackoffMs: 50,
    jobLockMs: 1_000,
    ...overrides,
  };
}

export function testOverrides(standin: RazorpayStandin, extra: Partial<AppConfig> = {}): Partial<AppConfig> {
  return { appSecret: randomBytes(32).toString('hex'), trustProxy: 'loopback', shutdownTimeoutMs: 2_000, payments: standinPayments(standin), ...extra };
}

/** Everything in flight has landed: webhooks delivered, jobs done, read models caught up (twice, since jobs can cause jobs). */
export async function settle(app: INestApplication, standin: RazorpayStandin): Promise<void> {
  const jobs = app.get<PaymentJobs>(PAYMENT_JOBS);
  const runner = app.get<ProjectionRunner>(PROJECTION_RUNNER);
  for (let round = 0; round < 2; round++) {
    await standin.whenWebhooksIdle(10_000);
    await waitFor(async () => (await jobs.pending()) === 0, 10_000, 'the payments queue to drain', 20);
    await runner.waitUntilCaughtUp();
  }
}

export async function readAll(app: INestApplication, stream: string): Promise<RecordedEvent[]> {
  try {
    return await app.get<EventStore>(EVENT_STORE).readStream(stream, { maxCount: 1_000 });
  } catch (err) {
    if (err instanceof StreamNotFoundError) return [];
    throw err;
  }
}

export async function purchases(app: INestApplication, accountId: string): Promise<RecordedEvent[]> {
  return (await readAll(app, `credits-${accountId}`)).filter((e) => e.type === 'CreditsPurchased');
}

/** A developer's credits per the ledger read model (call after settle). */
export async function credits(app: INestApplication, accountId: string): Promise<bigint> {
  return BigInt((await app.get(LedgerQueries).accountTotals(developerAccount(accountId))).normalBalanceMicroUsd);
}

export async function platform(app: INestApplication, account: string): Promise<bigint> {
  return BigInt((await app.get(LedgerQueries).accountTotals(account)).balanceMicroUsd);
}

export async function expectTrialBalanceZero(app: INestApplication): Promise<void> {
  const tb = await app.get(LedgerQueries).trialBalance();
  expect(tb.totals.balanced).toBe(true);
  expect(tb.totals.netMicroUsd).toBe('0');
  expect(tb.totals.debitsMicroUsd).toBe(tb.totals.creditsMicroUsd);
}

/** Runs the reconciliation report over [from, now] and returns what it found about these payments. */
export async function reportFor(app: INestApplication, from: Date, paymentIds: string[]): Promise<{ report: ReconciliationReport; found: { kind: string; paymentId: string }[] }> {
  const to = new Date(Date.now() + 2_000);
  const report = await app.get(ReconciliationReporter).run(from.toISOString().slice(0, 10), workerContext('test-report'), { from: new Date(from.getTime() - 2_000), to });
  const found = report.discrepancies.filter((d) => paymentIds.includes(d.paymentId)).map((d) => ({ kind: d.kind, paymentId: d.paymentId }));
  return { report, found };
}

/** The app against a fresh Razorpay stand-in that delivers its webhooks to it. */
export async function startPaymentsApp(label: string, overrides: TestConfigOverrides = {}): Promise<{ standin: RazorpayStandin; t: AuthTestApp; close(): Promise<void> }> {
  const standin = await startRazorpayStandin({ webhookRetryBaseDelayMs: 20 });
  const t = await startAuthApp(label, { ...testOverrides(standin), ...overrides });
  standin.setWebhookUrl(`${t.url}/webhooks/razorpay`);
  return {
    standin,
    t,
    async close() {
      await t.close();
      await standin.close();
    },
  };
}
