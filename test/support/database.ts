import { randomUUID } from 'node:crypto';
import { Kysely } from 'kysely';
import { Pool } from 'pg';
import { createDb, createPool, ensureDatabase } from '../../src/platform/database/database';
import { migrateToLatest } from '../../src/platform/database/migrate';
import { Database } from '../../src/platform/database/schema';

/** The server tests run against; CI starts it (see .ci/run). Each suite gets its own fresh database. */
export const TEST_DATABASE_SERVER = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  url: string;
  pool: Pool;
  db: Kysely<Database>;
  drop(): Promise<void>;
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `tg_test_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomUUID().slice(0, 8)}`;
  const url = `${TEST_DATABASE_SERVER}/${name}`;
  await ensureDatabase(url);
  const pool = createPool(url, 10);
  const db = createDb(pool);
  await migrateToLatest(db);
  return {
    url,
    pool,
    db,
    async drop() {
      await db.destroy();
      const admin = new Pool({ connectionString: `${TEST_DATABASE_SERVER}/postgres`, max: 1 });
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}
