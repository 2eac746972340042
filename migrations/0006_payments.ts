import { Kysely, sql } from 'kysely';

/**
 * Payments read models (orders, payments with Razorpay's status next to ours, refunds,
 * discrepancies, reconciliation runs), fed by projections/payments.projection.ts.
 * payment_webhook_events is not a read model: the webhook route writes it to deduplicate
 * deliveries by x-razorpay-event-id. Only Razorpay ids, amounts and statuses (P3).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE payment_orders (
      order_id text PRIMARY KEY,
      account_id text NOT NULL,
      amount_micro_usd bigint NOT NULL,
      amount_cents integer NOT NULL,
      currency text NOT NULL,
      receipt text NOT NULL,
      status text NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      revision bigint NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX payment_orders_status_idx ON payment_orders (status, created_at)`.execute(db);
  await sql`CREATE INDEX payment_orders_account_idx ON payment_orders (account_id, created_at)`.execute(db);
  await sql`
    CREATE TABLE payments (
      payment_id text PRIMARY KEY,
      order_id text NOT NULL,
      account_id text,
      razorpay_status text,
      amount_cents integer,
      currency text,
      error_reason text,
      checkout_verified boolean NOT NULL DEFAULT false,
      ledger_status text NOT NULL,
      credited_micro_usd bigint,
      credited_at timestamptz,
      dispute_id text,
      dispute_status text,
      disputed_micro_usd bigint,
      frozen_micro_usd bigint,
      shortfall_micro_usd bigint,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX payments_order_idx ON payments (order_id)`.execute(db);
  await sql`CREATE INDEX payments_updated_idx ON payments (updated_at, payment_id)`.execute(db);
  await sql`
    CREATE TABLE payment_refunds (
      refund_id text PRIMARY KEY,
      order_id text NOT NULL,
      payment_id text NOT NULL,
      account_id text NOT NULL,
      razorpay_refund_id text,
      amount_micro_usd bigint NOT NULL,
      status text NOT NULL,
      reason text NOT NULL,
      requested_by text,
      failure_reason text,
      requested_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX payment_refunds_payment_idx ON payment_refunds (payment_id)`.execute(db);
  await sql`
    CREATE TABLE payment_discrepancies (
      event_id uuid PRIMARY KEY,
      kind text NOT NULL,
      order_id text,
      payment_id text,
      account_id text,
      expected text,
      actual text,
      source text NOT NULL,
      run_id text,
      found_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX payment_discrepancies_found_idx ON payment_discrepancies (found_at, event_id)`.execute(db);
  await sql`
    CREATE TABLE payment_reconciliation_runs (
      run_id text PRIMARY KEY,
      day text NOT NULL,
      period_from timestamptz NOT NULL,
      period_to timestamptz NOT NULL,
      razorpay_captured_count integer NOT NULL,
      razorpay_captured_cents bigint NOT NULL,
      credited_count integer NOT NULL,
      credited_micro_usd bigint NOT NULL,
      discrepancy_count integer NOT NULL,
      reported_at timestamptz NOT NULL
    )`.execute(db);
  await sql`
    CREATE TABLE payment_webhook_events (
      event_id text PRIMARY KEY,
      event text NOT NULL,
      entity_id text,
      first_received_at timestamptz NOT NULL,
      last_received_at timestamptz NOT NULL,
      deliveries integer NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX payment_webhook_events_received_idx ON payment_webhook_events (first_received_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE payment_webhook_events, payment_reconciliation_runs, payment_discrepancies, payment_refunds, payments, payment_orders`.execute(db);
}
