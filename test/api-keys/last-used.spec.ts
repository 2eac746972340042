import { INestApplication } from '@nestjs/common';
import { sql } from 'kysely';
import request from 'supertest';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeyAuthenticator } from '../../src/api-keys/api-key-authenticator';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { lastUsedWriter } from '../../src/api-keys/key-usage';
import { PROJECTION_RUNNER } from '../../src/platform/projection-runtime/projection-runtime.module';
import { ProjectionRunner } from '../../src/platform/projection-runtime/projection-runner';
import { createTestDatabase, TestDatabase } from '../support/database';
import { bearer, ctx, registerDeveloper, startApp } from './support';

describe('"last used" is batched: one write per flush, not per request', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase('apikey_usage');
    // Count what reaches the table: statements and rows.
    await sql`CREATE TABLE usage_writes (statements int NOT NULL, rows int NOT NULL)`.execute(database.db);
    await sql`INSERT INTO usage_writes VALUES (0, 0)`.execute(database.db);
    await sql`CREATE FUNCTION count_usage_statement() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE usage_writes SET statements = statements + 1; RETURN NULL; END $$`.execute(
      database.db,
    );
    await sql`CREATE FUNCTION count_usage_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE usage_writes SET rows = rows + 1; RETURN NULL; END $$`.execute(database.db);
    await sql`CREATE TRIGGER usage_statements AFTER INSERT ON api_key_usage FOR EACH STATEMENT EXECUTE FUNCTION count_usage_statement()`.execute(database.db);
    await sql`CREATE TRIGGER usage_rows AFTER INSERT OR UPDATE ON api_key_usage FOR EACH ROW EXECUTE FUNCTION count_usage_row()`.execute(database.db);
    ({ app, url } = await startApp(database.url));
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const writes = async () => (await sql<{ statements: number; rows: number }>`SELECT statements, rows FROM usage_writes`.execute(database.db)).rows[0];

  it('records the newest use of each key in memory and writes them all in one upsert', async () => {
    const accounts = app.get(AccountsService);
    const keys = app.get(ApiKeysService);
    const auth = app.get(ApiKeyAuthenticator);
    const accountId = await registerDeveloper(accounts, 'usage');
    const first = await keys.issue(accountId, { name: 'first' }, ctx());
    const second = await keys.issue(accountId, { name: 'second' }, ctx());
    const unused = await keys.issue(accountId, { name: 'unused' }, ctx());
    await app.get<ProjectionRunner>(PROJECTION_RUNNER).waitUntilCaughtUp();
    await auth.flushUsage(); // start from an empty batch
    const before = await writes();
    const statementsBefore = auth.status().usageStatements;

    const startedAt = Date.now();
    for (let i = 0; i < 20; i++) {
      await request(url).get('/v1/me').set('authorization', bearer(first.key)).expect(200);
      await request(url).get('/v1/me').set('authorization', bearer(second.key)).expect(200);
    }
    const lastRequestAt = Date.now();
    await auth.flushUsage();
    // 40 requests: our flush, plus at most one periodic flush (every 10 s) that may have fallen in the loop.
    const flushes = auth.status().usageStatements - statementsBefore;
    expect(flushes).toBeGreaterThanOrEqual(1);
    expect(flushes).toBeLessThanOrEqual(2);
    const after = await writes();
    expect(after.statements - before.statements).toBe(flushes);
    expect(after.rows - before.rows).toBeGreaterThanOrEqual(2);
    expect(after.rows - before.rows).toBeLessThanOrEqual(2 * flushes);
    expect(auth.status().usagePending).toBe(0);

    const listed = await keys.list(accountId);
    for (const issued of [first, second]) {
      const view = listed.find((k) => k.id === issued.apiKey.id)!;
      const lastUsedMs = Date.parse(view.lastUsedAt ?? '');
      expect(lastUsedMs).toBeGreaterThanOrEqual(startedAt);
      expect(lastUsedMs).toBeLessThanOrEqual(lastRequestAt);
    }
    expect(listed.find((k) => k.id === unused.apiKey.id)?.lastUsedAt).toBeNull();

    // Nothing new: a flush writes nothing.
    expect(await auth.flushUsage()).toBe(0);
    expect((await writes()).statements).toBe(after.statements);
  });

  it('keeps the newest time when an older one is written later (another instance, a retried flush)', async () => {
    const keyId = 'olderwrite01';
    await sql`INSERT INTO api_key_usage (key_id, last_used_at) VALUES (${keyId}, '2030-01-01T00:00:00Z')`.execute(database.db);
    await lastUsedWriter(database.db)([keyId], [Date.parse('2029-01-01T00:00:00Z')]);
    const row = await database.db.selectFrom('api_key_usage').select('last_used_at').where('key_id', '=', keyId).executeTakeFirstOrThrow();
    expect(row.last_used_at.toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  it('writes what is pending when the application shuts down', async () => {
    const keys = app.get(ApiKeysService);
    const accountId = await registerDeveloper(app.get(AccountsService), 'shutdown');
    const issued = await keys.issue(accountId, { name: 'late' }, ctx());
    await request(url).get('/v1/me').set('authorization', bearer(issued.key)).expect(200);
    expect(app.get(ApiKeyAuthenticator).status().usagePending).toBe(1);
    await app.close();
    app = undefined as unknown as INestApplication;
    const row = await database.db.selectFrom('api_key_usage').select('last_used_at').where('key_id', '=', issued.apiKey.id).executeTakeFirst();
    expect(row?.last_used_at).toBeInstanceOf(Date);
  });
});
