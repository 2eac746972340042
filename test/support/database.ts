import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
  await copyOfMigratedTemplate(name);
  const pool = createPool(url, 10);
  const db = createDb(pool);
  return {
    url,
    pool,
    db,
    async drop() {
      await db.destroy();
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/**
 * Every suite's database starts as a copy of one migrated template (named by a hash of the
 * migrations, so a changed migration makes a new one): a copy takes a fraction of migrating 22
 * migrations in each suite. The first suite to need it builds it under an advisory lock.
 */
async function copyOfMigratedTemplate(name: string): Promise<void> {
  const template = `tg_template_${migrationsHash()}`;
  const admin = new Pool({ connectionString: `${TEST_DATABASE_SERVER}/postgres`, max: 1 });
  try {
    const client = await admin.connect();
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [template]);
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (rowCount === 0) await buildTemplate(template);
      // A copy needs nobody else connected to the template: the lock keeps builders out meanwhile.
      await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [template]).catch(() => undefined);
      client.release();
    }
  } finally {
    await admin.end();
  }
}

async function buildTemplate(template: string): Promise<void> {
  // Built under a scratch name and renamed, so a killed build never leaves a half-migrated template.
  const scratch = `${template}_building`;
  await adminQuery(`DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`);
  await ensureDatabase(`${TEST_DATABASE_SERVER}/${scratch}`);
  const db = createDb(createPool(`${TEST_DATABASE_SERVER}/${scratch}`, 1));
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  await adminQuery(`ALTER DATABASE "${scratch}" RENAME TO "${template}"`);
}

let hash: string | undefined;
function migrationsHash(): string {
  if (hash === undefined) {
    const dir = join(__dirname, '..', '..', 'migrations');
    const digest = createHash('sha256');
    for (const file of readdirSync(dir).sort()) digest.update(file).update(readFileSync(join(dir, file)));
    hash = digest.digest('hex').slice(0, 16);
  }
  return hash;
}

async function adminQuery(text: string): Promise<void> {
  const admin = new Pool({ connectionString: `${TEST_DATABASE_SERVER}/postgres`, max: 1 });
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}
