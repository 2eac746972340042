import { Kysely, sql } from 'kysely';

/**
 * GPU nodes (read model of `node-{id}` streams) and model prices (every version, from
 * `model-price-*` streams). Heartbeats, cooldowns and in-flight counts are not here: they live
 * in Redis (see src/nodes/routing/node-liveness.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE nodes (
      node_id text PRIMARY KEY,
      provider_id text NOT NULL,
      name text NOT NULL,
      gpu_model text,
      gpu_memory_gb integer,
      region text,
      endpoint_url text NOT NULL,
      models jsonb NOT NULL,
      token_hash text NOT NULL UNIQUE,
      status text NOT NULL,
      suspended_reason text,
      online boolean NOT NULL,
      registered_at timestamptz NOT NULL,
      approved_at timestamptz,
      retired_at timestamptz,
      status_changed_at timestamptz NOT NULL,
      online_changed_at timestamptz,
      revision bigint NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX nodes_provider_idx ON nodes (provider_id, registered_at DESC)`.execute(db);
  await sql`
    CREATE TABLE model_prices (
      model text NOT NULL,
      version integer NOT NULL,
      input_micro_usd_per_mtok bigint NOT NULL,
      output_micro_usd_per_mtok bigint NOT NULL,
      per_image_micro_usd bigint,
      effective_at timestamptz NOT NULL,
      set_at timestamptz NOT NULL,
      PRIMARY KEY (model, version)
    )`.execute(db);
  await sql`CREATE INDEX model_prices_effective_idx ON model_prices (effective_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['model_prices', 'nodes']) await sql`DROP TABLE ${sql.table(t)}`.execute(db);
}
