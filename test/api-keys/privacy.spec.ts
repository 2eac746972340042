import { INestApplication } from '@nestjs/common';
import Redis from 'ioredis';
import { sql } from 'kysely';
import request from 'supertest';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeyAuthenticator } from '../../src/api-keys/api-key-authenticator';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { PROJECTION_RUNNER } from '../../src/projection-runtime/projection-runtime.module';
import { ProjectionRunner } from '../../src/projection-runtime/projection-runner';
import { createTestDatabase, TEST_REDIS_URL, TestDatabase } from '../support/database';
import { bearer, ctx, registerDeveloper, startApp } from './support';

const REDIS_SCAN_MAX_KEYS = 200_000;

/** Invariant 6: only keyed hashes are stored. The full key, or its secret part, is nowhere at rest. */
describe('API keys at rest', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let url: string;
  let redis: Redis;

  beforeAll(async () => {
    database = await createTestDatabase('apikey_privacy');
    ({ app, url } = await startApp(database.url));
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    redis?.disconnect();
    await app?.close();
    await database?.drop();
  });

  it('appear in no table, no event and no Redis key or value after being issued, used, rotated and revoked', async () => {
    const keys = app.get(ApiKeysService);
    const accountId = await registerDeveloper(app.get(AccountsService), 'privacy');
    const used = await keys.issue(accountId, { name: 'used' }, ctx());
    const rotated = await keys.issue(accountId, { name: 'rotated' }, ctx());
    const revoked = await keys.issue(accountId, { name: 'revoked' }, ctx());
    for (const k of [used, rotated, revoked]) await request(url).get('/v1/me').set('authorization', bearer(k.key)).expect(200);
    const replacement = await keys.rotate(accountId, rotated.apiKey.id, ctx());
    await keys.revoke(accountId, revoked.apiKey.id, ctx());
    await request(url).get('/v1/me').set('authorization', bearer(replacement.key)).expect(200);
    await app.get(ApiKeyAuthenticator).flushUsage();
    await app.get<ProjectionRunner>(PROJECTION_RUNNER).waitUntilCaughtUp();

    // The secret part alone is enough to look for: it is in every copy of the key.
    const secrets = [used, rotated, revoked, replacement].map((k) => k.key.slice(-32));
    // The search must be able to find what it looks for.
    expect(await tablesContaining(database, [used.apiKey.prefix])).toEqual(expect.arrayContaining(['api_keys.prefix', 'events.data']));
    expect(await tablesContaining(database, secrets)).toEqual([]);

    const probe = `tollgate:test:probe:${secrets[0]}`;
    await redis.set(probe, '1', 'EX', 60);
    expect(await redisContaining(redis, secrets)).toEqual([probe]);
    await redis.del(probe);
    expect(await redisContaining(redis, secrets)).toEqual([]);
  });
});

/** `table.column` for every text-like column (text, varchar, json, jsonb, arrays) holding any of `needles`. */
async function tablesContaining(database: TestDatabase, needles: string[]): Promise<string[]> {
  const columns = await sql<{ table_name: string; column_name: string }>`
    SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')
     ORDER BY table_name, column_name`.execute(database.db);
  expect(columns.rows.length).toBeGreaterThan(10);
  const found: string[] = [];
  for (const { table_name, column_name } of columns.rows) {
    const hits = await sql<{ n: string }>`
      SELECT count(*) AS n FROM ${sql.table(table_name)} WHERE ${sql.ref(column_name)}::text LIKE ANY (${needles.map((n) => `%${n}%`)}::text[])`.execute(database.db);
    if (Number(hits.rows[0].n) > 0) found.push(`${table_name}.${column_name}`);
  }
  return found;
}

/** Names of Redis keys (on the whole test server) whose name or value holds any of `needles`. */
async function redisContaining(redis: Redis, needles: string[]): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  let scanned = 0;
  const holds = (s: string) => needles.some((n) => s.includes(n));
  do {
    const [next, names] = await redis.scan(cursor, 'COUNT', 1_000);
    cursor = next;
    scanned += names.length;
    for (const name of names) {
      if (holds(name) || holds(await redisValue(redis, name))) found.push(name);
    }
  } while (cursor !== '0' && scanned < REDIS_SCAN_MAX_KEYS);
  expect(cursor).toBe('0'); // scanned everything
  return found;
}

async function redisValue(redis: Redis, name: string): Promise<string> {
  const type = await redis.type(name);
  switch (type) {
    case 'string':
      return (await redis.get(name)) ?? '';
    case 'hash':
      return JSON.stringify(await redis.hgetall(name));
    case 'list':
      return JSON.stringify(await redis.lrange(name, 0, -1));
    case 'set':
      return JSON.stringify(await redis.smembers(name));
    case 'zset':
      return JSON.stringify(await redis.zrange(name, '0', '-1'));
    case 'stream':
      return JSON.stringify(await redis.xrange(name, '-', '+'));
    default:
      return ''; // gone meanwhile ('none') or a module type
  }
}
