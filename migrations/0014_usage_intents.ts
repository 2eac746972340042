import { Kysely, sql } from 'kysely';

/**
 * Durable intents to charge (src/metering/usage-intents.ts; docs/trusting-nodes.md, "Recovery").
 * Not a read model: written by the /v1 hot path before a stream's first byte reaches the client,
 * deleted once the request's charge is stored, read by recovery. It holds only requests in flight
 * and the few whose charge must still be recorded, so it stays small and needs no index but its key.
 * `charge` is the charge at the request's bounds; `final` the exact one when the request could not
 * store it at once. Metadata only (P1): ids, model, counts, prices, never text.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE usage_intents (
      request_id text PRIMARY KEY,
      account_id text NOT NULL,
      opened_at timestamptz NOT NULL,
      due_at timestamptz NOT NULL,
      charge jsonb NOT NULL,
      final jsonb,
      attempts integer NOT NULL DEFAULT 0,
      last_error text
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE usage_intents`.execute(db);
}
