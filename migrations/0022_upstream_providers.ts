import { Kysely, sql } from 'kysely';

/**
 * Upstream API vendors (issue 20). `upstream_providers` and `upstream_costs` are read models of
 * the `upstream-*` streams. `upstream_credentials` is not: it holds the vendor's API key sealed
 * under a key derived from APP_SECRET (never in an event), one row per key version; rotation
 * writes the new version and deletes the older ones.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE upstream_providers (
      upstream_id text PRIMARY KEY,
      name text NOT NULL,
      base_url text NOT NULL,
      models jsonb NOT NULL,
      status text NOT NULL,
      key_version integer NOT NULL,
      registered_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`
    CREATE TABLE upstream_costs (
      upstream_id text NOT NULL,
      model text NOT NULL,
      version integer NOT NULL,
      input_micro_usd_per_mtok bigint NOT NULL,
      output_micro_usd_per_mtok bigint NOT NULL,
      per_image_micro_usd bigint,
      effective_at timestamptz NOT NULL,
      set_at timestamptz NOT NULL,
      PRIMARY KEY (upstream_id, model, version)
    )`.execute(db);
  await sql`
    CREATE TABLE upstream_credentials (
      upstream_id text NOT NULL,
      key_version integer NOT NULL,
      sealed_key text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (upstream_id, key_version)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE upstream_credentials`.execute(db);
  await sql`DROP TABLE upstream_costs`.execute(db);
  await sql`DROP TABLE upstream_providers`.execute(db);
}
