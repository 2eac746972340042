import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeyAuthenticator } from '../../src/api-keys/api-key-authenticator';
import { createApiKeyAuthenticator } from '../../src/api-keys/api-key-auth.module';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { KYSELY, PG_POOL } from '../../src/platform/database/database.module';
import { EVENT_STORE } from '../../src/platform/event-store/event-store.port';
import { createLogger } from '../../src/platform/observability/logger';
import { PROJECTION_RUNNER } from '../../src/platform/projection-runtime/projection-runtime.module';
import { ProjectionRunner } from '../../src/platform/projection-runtime/projection-runner';
import { REDIS } from '../../src/platform/redis/redis.module';
import { createTestDatabase, TestDatabase } from '../support/database';
import { bearer, ctx, randomWellFormedKey, registerDeveloper, startApp } from './support';
import { waitFor } from '../support/eventually';

const INVALID_KEY = { type: 'invalid_request_error', param: null, code: 'invalid_api_key' };

describe('GET /v1/me behind the API-key guard (one instance, role "all")', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let url: string;
  let accounts: AccountsService;
  let keys: ApiKeysService;
  let auth: ApiKeyAuthenticator;
  let runner: ProjectionRunner;
  const me = (authorization?: string) => {
    const req = request(url).get('/v1/me');
    return authorization === undefined ? req : req.set('authorization', authorization);
  };

  beforeAll(async () => {
    database = await createTestDatabase('apikey_guard');
    ({ app, url } = await startApp(database.url));
    accounts = app.get(AccountsService);
    keys = app.get(ApiKeysService);
    auth = app.get(ApiKeyAuthenticator);
    runner = app.get<ProjectionRunner>(PROJECTION_RUNNER);
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('answers a missing or malformed key with OpenAI-shaped 401s, without any lookup', async () => {
    const lookups = auth.status().lookups;
    const missing = await me().expect(401);
    expect(missing.headers['content-type']).toMatch(/^application\/json/);
    expect(missing.body).toEqual({ error: { message: expect.stringContaining("didn't provide an API key"), ...INVALID_KEY } });
    for (const header of ['Bearer sk-abc123', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer tg_live_short_key', `Token ${randomWellFormedKey()}`]) {
      const res = await me(header).expect(401);
      expect(res.body).toEqual({ error: { message: expect.stringContaining('Incorrect API key'), ...INVALID_KEY } });
    }
    expect(auth.status().lookups).toBe(lookups);
  });

  it('refuses an unknown key, and remembers the refusal', async () => {
    const unknown = randomWellFormedKey();
    const lookups = auth.status().lookups;
    const res = await me(bearer(unknown)).expect(401);
    expect(res.body).toEqual({ error: { message: expect.stringContaining('Incorrect API key'), ...INVALID_KEY } });
    await me(`bearer ${unknown}`).expect(401);
    expect(auth.status().lookups).toBe(lookups + 1);
  });

  it('admits a good key, then answers from memory: one lookup for many requests', async () => {
    const accountId = await registerDeveloper(accounts, 'good');
    const issued = await keys.issue(accountId, { name: 'ci', limits: { requestsPerMinute: 60, tokensPerMinute: 90_000 } }, ctx());
    await runner.waitUntilCaughtUp();
    const lookups = auth.status().lookups;
    const res = await me(bearer(issued.key)).expect(200);
    expect(res.body).toEqual({ object: 'api_key', id: issued.apiKey.id, account_id: accountId, limits: { requests_per_minute: 60, tokens_per_minute: 90_000 } });
    expect(JSON.stringify(res.body)).not.toContain(issued.key.slice(-32));
    for (let i = 0; i < 30; i++) await me(bearer(issued.key)).expect(200);
    expect(auth.status().lookups).toBe(lookups + 1);
  });

  it('admits a key the moment issue() returns, before the read model has it (from its event stream)', async () => {
    const accountId = await registerDeveloper(accounts, 'fresh');
    await runner.stop();
    try {
      const issued = await keys.issue(accountId, { name: 'fresh' }, ctx());
      expect(await database.db.selectFrom('api_keys').select('key_id').where('key_id', '=', issued.apiKey.id).executeTakeFirst()).toBeUndefined();
      const res = await me(bearer(issued.key)).expect(200);
      expect(res.body.id).toBe(issued.apiKey.id);
    } finally {
      runner.start();
    }
  });

  it('refuses an expired key, even from memory', async () => {
    const accountId = await registerDeveloper(accounts, 'expiring');
    const expiresAtMs = Date.now() + 1_500;
    const issued = await keys.issue(accountId, { name: 'short-lived', expiresAt: new Date(expiresAtMs).toISOString() }, ctx());
    await me(bearer(issued.key)).expect(200);
    const lookups = auth.status().lookups;
    await waitFor(() => Date.now() > expiresAtMs, 5_000, 'the expiry time', 20);
    const res = await me(bearer(issued.key)).expect(401);
    expect(res.body).toEqual({ error: { message: expect.stringContaining('expired'), ...INVALID_KEY } });
    expect(auth.status().lookups).toBe(lookups);
  });

  it('refuses a revoked key within a second', async () => {
    const accountId = await registerDeveloper(accounts, 'revoked');
    const issued = await keys.issue(accountId, { name: 'to-revoke' }, ctx());
    await me(bearer(issued.key)).expect(200);
    await keys.revoke(accountId, issued.apiKey.id, ctx());
    const revokedAt = Date.now();
    const res = await waitFor(
      async () => {
        const r = await me(bearer(issued.key));
        return r.status === 401 ? r : null;
      },
      1_000,
      'the revoked key to be refused',
    );
    expect(res.body).toEqual({ error: { message: expect.stringContaining('revoked'), ...INVALID_KEY } });
    console.log(`revoked key refused ${Date.now() - revokedAt} ms after revoke() returned (same instance)`);
  });

  it('refuses a revoked key while the read model still says it is active (Redis denylist)', async () => {
    const accountId = await registerDeveloper(accounts, 'lagging');
    const issued = await keys.issue(accountId, { name: 'lagging' }, ctx());
    await runner.waitUntilCaughtUp();
    await me(bearer(issued.key)).expect(200);
    await runner.stop();
    // A second authenticator that never heard the revocation message: only the denylist can tell it.
    const fresh = createApiKeyAuthenticator({
      pool: app.get(PG_POOL),
      db: app.get(KYSELY),
      store: app.get(EVENT_STORE),
      redis: app.get(REDIS),
      hashKey: (k) => keys.hashKey(k),
      logger: createLogger('silent'),
    });
    try {
      await keys.revoke(accountId, issued.apiKey.id, ctx());
      await waitFor(async () => (await me(bearer(issued.key))).status === 401, 1_000, 'the revoked key to be refused');
      const row = await database.db.selectFrom('api_keys').select('revoked_at').where('key_id', '=', issued.apiKey.id).executeTakeFirstOrThrow();
      expect(row.revoked_at).toBeNull(); // the read model has not caught up
      expect(await fresh.authenticate(bearer(issued.key))).toMatchObject({ code: 'revoked_api_key' });
    } finally {
      await fresh.close();
      runner.start();
    }
  });
});
