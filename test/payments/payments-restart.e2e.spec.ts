import { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { projectors } from '../../src/read-models';
import { AccountsService } from '../../src/accounts/accounts.service';
import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { CreditsService } from '../../src/ledger/credits.service';
import { PaymentOrdersService } from '../../src/payments/orders/payment-orders.service';
import { READ_MODELS_CHECKPOINT } from '../../src/platform/projection-runtime/checkpoint';
import { verifyProjections } from '../../src/platform/projection-runtime/verify';
import { RazorpayStandin, startRazorpayStandin } from '../standins/razorpay/standin';
import { startTestApp } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { expectTrialBalanceZero, purchases, readAll, reportFor, settle, standinPayments, testOverrides } from './support';
import { AGREED } from '../support/eligibility';
import { waitFor } from '../support/eventually';

const ctx = () => ({ actorId: 'test', occurredAt: new Date().toISOString() });

/**
 * A worker that dies mid-job: the first process credits the payment and never finishes the
 * job (as if killed right after the append); the next process takes the job over when its lock
 * expires and must not credit twice. The second process also rotates the webhook secret.
 * (P3, no card data, is test/policy/p03-no-card-details.policy.spec.ts.)
 */
describe('payments worker: restart mid-job, secret rotation', () => {
  let standin: RazorpayStandin;
  let database: TestDatabase;
  let app: INestApplication | null = null;
  let accountId: string;
  const started = new Date();

  beforeAll(async () => {
    standin = await startRazorpayStandin({ webhookRetryBaseDelayMs: 20, webhookMaxAttempts: 2 });
    database = await createTestDatabase('payments_restart');
  });
  afterAll(async () => {
    await app?.close();
    await standin?.close();
    await database?.drop();
  });

  it('survives a restart mid-job without double credit', async () => {
    const first = await startTestApp(database.url, testOverrides(standin));
    standin.setWebhookUrl(`${first.url}/webhooks/razorpay`);
    ({ accountId } = await first.app
      .get(AccountsService)
      .register({ email: `restart-${randomUUID()}@example.com`, password: 'correct horse battery', via: 'cli', eligibility: AGREED, roles: [] }, ctx()));

    // The first worker records the credit, then hangs for ever: the job is never completed.
    const credits = first.app.get(CreditsService);
    const original = credits.recordPurchase.bind(credits);
    let creditedBeforeCrash = false;
    credits.recordPurchase = async (...args) => {
      await original(...args);
      creditedBeforeCrash = true;
      return new Promise(() => undefined);
    };
    const order = await first.app.get(PaymentOrdersService).createOrder(accountId, '15.00', ctx());
    const paid = standin.pay(order.orderId, { outcome: 'captured' });
    await waitFor(async () => creditedBeforeCrash, 10_000, 'the first worker to credit', 20);
    await first.app.close(); // the worker gives up waiting for its hung job (half the shutdown timeout)

    const oldSecret = standin.webhookSecret;
    const newSecret = `whsec_${randomUUID().replace(/-/g, '')}`;
    const second = await startTestApp(database.url, testOverrides(standin, { payments: standinPayments(standin, { webhookSecret: newSecret, webhookSecretPrevious: oldSecret }) }));
    app = second.app;
    standin.setWebhookUrl(`${second.url}/webhooks/razorpay`);
    standin.setWebhookSecret(newSecret);
    await settle(app, standin);

    expect(await purchases(app, accountId)).toHaveLength(1);
    const orderEvents = (await readAll(app, `payment-${order.orderId}`)).map((e) => e.type);
    // Only the second process can have recorded this (the first never got past the credit): it took the job over.
    expect(orderEvents.filter((t) => t === 'PaymentCredited')).toHaveLength(1);
    // Events raised before the rotation still verify with the previous secret (Razorpay keeps their signature).
    const early = paid.eventIds[0];
    expect((await standin.redeliver(early)).status).toBe(200);
    await expectTrialBalanceZero(app);
    expect((await reportFor(app, started, [paid.payment.id])).found).toEqual([]);
  });

  it('rebuilding the payments read models from the events gives the same rows', async () => {
    const a = app as INestApplication;
    await settle(a, standin);
    const report = await verifyProjections(database.db, a.get<EventStore>(EVENT_STORE), projectors, { checkpointName: READ_MODELS_CHECKPOINT, batchSize: 7 });
    expect(report.tables.filter((t) => t.onlyLive > 0 || t.onlyRebuilt > 0)).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('with no Razorpay key, payments are off: their routes answer 404 payments_disabled', async () => {
    const off = await startTestApp(database.url, { payments: null });
    try {
      const webhook = await fetch(`${off.url}/webhooks/razorpay`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(webhook.status).toBe(404);
      expect(((await webhook.json()) as { code: string }).code).toBe('payments_disabled');
    } finally {
      await off.app.close();
    }
  });
});
