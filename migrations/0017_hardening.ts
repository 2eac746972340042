import { Kysely, sql } from 'kysely';

/**
 * Hardening (issue 15). `payments.captured`: Razorpay's own flag, so an auto-refunded payment
 * (status refunded, never captured) is not mistaken for money received; null on rows projected
 * before the flag was recorded. `payment_refunds.approved_by`: the second staff member of a refund
 * above the approval threshold. `approval_requests`: grants, credit-adding corrections and refunds
 * above the threshold, waiting for (or decided by) a second staff member.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE payments ADD COLUMN captured boolean`.execute(db);
  await sql`ALTER TABLE payment_refunds ADD COLUMN approved_by text`.execute(db);
  await sql`
    CREATE TABLE approval_requests (
      stream text NOT NULL,
      request_id text NOT NULL,
      kind text NOT NULL,
      account_id text NOT NULL,
      payment_id text,
      amount_micro_usd bigint NOT NULL,
      reason text NOT NULL,
      status text NOT NULL,
      requested_by text NOT NULL,
      requested_at timestamptz NOT NULL,
      decided_by text,
      decided_at timestamptz,
      PRIMARY KEY (stream, request_id)
    )`.execute(db);
  await sql`CREATE INDEX approval_requests_status_idx ON approval_requests (status, requested_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE payments DROP COLUMN captured`.execute(db);
  await sql`DROP TABLE approval_requests`.execute(db);
  await sql`ALTER TABLE payment_refunds DROP COLUMN approved_by`.execute(db);
}
