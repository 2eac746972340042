import { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { sql } from 'kysely';
import { projectors } from '../../projections';
import { AccountsService } from '../../src/accounts/accounts.service';
import { EVENT_STORE, EventStore } from '../../src/event-store/event-store.port';
import { CreditsService } from '../../src/ledger/credits.service';
import { PaymentOrdersService } from '../../src/payments/orders/payment-orders.service';
import { READ_MODELS_CHECKPOINT } from '../../src/projection-runtime/checkpoint';
import { verifyProjections } from '../../src/projection-runtime/verify';
import { REDIS } from '../../src/redis/redis.module';
import { RazorpayStandin, startRazorpayStandin } from '../razorpay/standin';
import { startTestApp } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { expectTrialBalanceZero, purchases, readAll, reportFor, settle, standinPayments, testOverrides, until } from './support';

const ctx = () => ({ actorId: 'test', occurredAt: new Date().toISOString() });

/**
 * A worker that dies mid-job: the first process credits the payment and never finishes the
 * job (as if killed right after the append); the next process takes the job over when its lock
 * expires and must not credit twice. The second process also rotates the webhook secret.
 */
describe('payments worker: restart mid-job, secret rotation, no card data (P3)', () => {
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
    ({ accountId } = await first.app.get(AccountsService).register({ email: `restart-${randomUUID()}@example.com`, password: 'correct horse battery', via: 'cli', roles: [] }, ctx()));

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
    await until('the first worker to credit', async () => creditedBeforeCrash);
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

  it('keeps no card, bank or contact fields anywhere, only Razorpay ids, amounts and statuses (P3)', async () => {
    const a = app as INestApplication;
    const email = `p3-${randomUUID()}@example.com`;
    const contact = `+1555${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
    const order = await a.get(PaymentOrdersService).createOrder(accountId, '11.00', ctx());
    const paid = standin.pay(order.orderId, { outcome: 'captured', email, contact });
    expect(paid.payment).toMatchObject({ method: 'card', email, contact, card_id: expect.stringMatching(/^card_/) });
    const cardId = paid.payment.card_id;
    const dispute = standin.openDispute(paid.payment.id, 100);
    await settle(a, standin);
    expect((await purchases(a, accountId)).map((e) => e.data.paymentId)).toContain(paid.payment.id);
    expect(dispute.id).toMatch(/^disp_/);

    const secrets = [email, contact, cardId, 'customer@example.com', '+15555550100'];
    const cardFields = ['card_id', 'card', 'bank', 'wallet', 'vpa', 'contact', 'acquirer_data', 'auth_code', 'email'];
    // Every event: no card values; payment events carry none of Razorpay's card or contact fields.
    const { rows: events } = await sql<{ stream: string; data: string; metadata: string }>`SELECT stream, data::text AS data, metadata::text AS metadata FROM events`.execute(database.db);
    for (const e of events) {
      for (const s of secrets) expect(`${e.data}${e.metadata}`).not.toContain(s);
      if (e.stream.startsWith('payment-') || e.stream.startsWith('credits-') || e.stream.startsWith('reconciliation-')) {
        const keys = Object.keys(JSON.parse(e.data));
        for (const f of cardFields) expect(keys).not.toContain(f);
      }
    }
    // Every row of every table.
    const { rows: tables } = await sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`.execute(database.db);
    for (const { table_name } of tables) {
      const { rows } = await sql<{ row: string }>`SELECT t::text AS row FROM ${sql.table(table_name)} t`.execute(database.db);
      for (const r of rows) for (const s of secrets) expect(r.row).not.toContain(s);
    }
    // Every Redis value under this app's prefix (queue jobs, webhook rejections, credit holds).
    const redis = a.get<Redis>(REDIS);
    const prefix = `tg:${new URL(database.url).pathname.slice(1)}:`;
    let cursor = '0';
    let scanned = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        const value = type === 'string' ? await redis.get(key) : type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : type === 'list' ? JSON.stringify(await redis.lrange(key, 0, -1)) : '';
        scanned++;
        for (const s of secrets) expect(value ?? '').not.toContain(s);
      }
    } while (cursor !== '0');
    expect(scanned).toBeGreaterThan(0);
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
