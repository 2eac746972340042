import { Kysely, sql } from 'kysely';

/**
 * Hardening (issue 15). `payments.captured`: Razorpay's own flag, so an auto-refunded payment
 * (status refunded, never captured) is not mistaken for money received; null on rows projected
 * before the flag was recorded. `payment_refunds.approved_by`: the second staff member of a refund
 * above the approval threshold.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE payments ADD COLUMN captured boolean`.execute(db);
  await sql`ALTER TABLE payment_refunds ADD COLUMN approved_by text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE payments DROP COLUMN captured`.execute(db);
  await sql`ALTER TABLE payment_refunds DROP COLUMN approved_by`.execute(db);
}
