import { INestApplication } from '@nestjs/common';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeyAuthenticator, AUTHENTICATOR_DEFAULTS, AuthenticatorOptions, KeyCheck, REFUSED } from '../../src/api-keys/api-key-authenticator';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { StoredKeyLookup } from '../../src/api-keys/key-lookup';
import { lastUsedWriter } from '../../src/api-keys/key-usage';
import { createPool } from '../../src/platform/database/database';
import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { createLogger } from '../../src/platform/observability/logger';
import { PROJECTION_RUNNER } from '../../src/platform/projection-runtime/projection-runtime.module';
import { ProjectionRunner } from '../../src/platform/projection-runtime/projection-runner';
import { REDIS } from '../../src/platform/redis/redis.module';
import { startTestApp } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { TcpProxy } from '../support/tcp-proxy';
import { bearer, ctx, FreezableProxy, randomWellFormedKey, registerDeveloper } from './support';
import { waitFor } from '../support/eventually';

const REDIS_PORT = Number(new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').port || 6379);

/** The framework-free core, wired by hand: bounds, fail-safe behaviour when Redis or PostgreSQL go away. */
describe('ApiKeyAuthenticator', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let keys: ApiKeysService;
  let accounts: AccountsService;
  let redis: Redis;
  const cleanup: (() => Promise<unknown> | void)[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('apikey_auth');
    ({ app } = await startTestApp(database.url));
    keys = app.get(ApiKeysService);
    accounts = app.get(AccountsService);
    redis = app.get(REDIS);
  });
  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  /** An authenticator; its subscriber goes to `redisPort` (a proxy, to cut it) and its lookups to `pool`. */
  function authenticator(options: Partial<AuthenticatorOptions> = {}, redisPort = REDIS_PORT, pool: Pool = database.pool): ApiKeyAuthenticator {
    const subscriber = new Redis({
      host: '127.0.0.1',
      port: redisPort,
      lazyConnect: true,
      autoResubscribe: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 50,
    });
    const auth = new ApiKeyAuthenticator(
      {
        lookup: new StoredKeyLookup(pool, app.get<EventStore>(EVENT_STORE), redis),
        hashKey: (k) => keys.hashKey(k),
        writeLastUsed: lastUsedWriter(database.db),
        subscriber,
        logger: createLogger('silent'),
      },
      options,
    );
    cleanup.push(() => auth.close());
    return auth;
  }

  async function issueKeys(n: number): Promise<{ accountId: string; keys: { id: string; key: string }[] }> {
    const accountId = await registerDeveloper(accounts, 'auth');
    const issued = [];
    for (let i = 0; i < n; i++) {
      const { key, apiKey } = await keys.issue(accountId, { name: `k${i}` }, ctx());
      issued.push({ id: apiKey.id, key });
    }
    await app.get<ProjectionRunner>(PROJECTION_RUNNER).waitUntilCaughtUp();
    return { accountId, keys: issued };
  }

  const started = async (auth: ApiKeyAuthenticator) => {
    auth.start();
    await waitFor(() => auth.status().listening, 5_000, 'the subscription');
    return auth;
  };
  const code = (c: KeyCheck) => ('code' in c ? c.code : 'ok');

  it('keeps at most cacheCapacity keys and refusalCapacity refusals', async () => {
    const auth = await started(authenticator({ cacheCapacity: 3, refusalCapacity: 4 }));
    const { keys: issued } = await issueKeys(5);
    for (const k of issued) expect(code(await auth.authenticate(bearer(k.key)))).toBe('ok');
    expect(auth.status().cachedKeys).toBe(3);
    for (let i = 0; i < 10; i++) expect(await auth.authenticate(bearer(randomWellFormedKey()))).toBe(REFUSED.unknown);
    expect(auth.status().cachedRefusals).toBe(4);
  });

  it('answers a cached key synchronously, and shares one lookup between concurrent misses', async () => {
    const auth = await started(authenticator());
    const { keys: issued } = await issueKeys(1);
    const checks = Array.from({ length: 20 }, () => auth.authenticate(bearer(issued[0].key)));
    expect(checks.every((c) => c instanceof Promise)).toBe(true);
    expect(new Set(checks).size).toBe(1);
    expect(auth.status().lookups).toBe(1);
    const first = await checks[0];
    const again = auth.authenticate(bearer(issued[0].key));
    expect(again).toBe(first); // not a promise: the same frozen object
    expect(first).toMatchObject({ keyId: issued[0].id });
  });

  it('refuses with "unavailable" beyond maxLookupsInFlight, and when PostgreSQL is unreachable; never remembers that', async () => {
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(database.url).port || 5432));
    await proxy.start();
    const url = new URL(database.url);
    url.port = String(proxy.port);
    const pool = createPool(url.toString(), 2);
    cleanup.push(() => pool.end());
    const auth = await started(authenticator({ maxLookupsInFlight: 2 }, REDIS_PORT, pool));
    const { keys: issued } = await issueKeys(1);

    const burst = [randomWellFormedKey(), randomWellFormedKey(), randomWellFormedKey()].map((k) => auth.authenticate(bearer(k)));
    expect(await burst[2]).toBe(REFUSED.unavailable);
    expect(await Promise.all(burst.slice(0, 2))).toEqual([REFUSED.unknown, REFUSED.unknown]);

    await proxy.cut();
    cleanup.push(() => proxy.cut());
    expect(await auth.authenticate(bearer(issued[0].key))).toBe(REFUSED.unavailable);
    await proxy.start();
    expect(code(await auth.authenticate(bearer(issued[0].key)))).toBe('ok');
  });

  it('while its subscriber is cut, re-checks keys every degradedTtlMs, so a revocation it never heard of still counts; resubscribes and forgets', async () => {
    const proxy = new FreezableProxy(REDIS_PORT);
    await proxy.start();
    cleanup.push(() => proxy.stop());
    const auth = await started(authenticator({}, proxy.port));
    const { accountId, keys: issued } = await issueKeys(1);
    const key = bearer(issued[0].key);
    expect(code(await auth.authenticate(key))).toBe('ok');
    expect(auth.status().cachedKeys).toBe(1);

    await proxy.stop();
    await waitFor(() => !auth.status().listening, 1_000, 'the subscriber to be lost');
    await keys.revoke(accountId, issued[0].id, ctx()); // published while this instance is not listening
    const revokedAt = Date.now();
    await waitFor(async () => (await auth.authenticate(key)) === REFUSED.revoked, 1_000, 'the revoked key to be refused');
    console.log(`subscriber down: revoked key refused after ${Date.now() - revokedAt} ms (degradedTtlMs ${AUTHENTICATOR_DEFAULTS.degradedTtlMs})`);

    await proxy.start();
    await waitFor(() => auth.status().listening, 3_000, 'the subscriber to be back');
    expect(auth.status().cachedKeys).toBe(0);
  });

  it('notices a subscriber connection that went silent (heartbeat) and reconnects when it comes back', async () => {
    const proxy = new FreezableProxy(REDIS_PORT);
    await proxy.start();
    cleanup.push(() => proxy.stop());
    const auth = await started(authenticator({ heartbeatIntervalMs: 200, heartbeatTimeoutMs: 400 }, proxy.port));
    const { keys: issued } = await issueKeys(1);
    expect(code(await auth.authenticate(bearer(issued[0].key)))).toBe('ok');

    proxy.freeze();
    const frozenAt = Date.now();
    await waitFor(() => !auth.status().listening, 2_000, 'the silent subscriber to be noticed');
    const noticedMs = Date.now() - frozenAt;
    console.log(`silent subscriber noticed after ${noticedMs} ms (heartbeat every 200 ms, 400 ms to answer)`);
    expect(noticedMs).toBeLessThan(1_000);
    proxy.thaw();
    await waitFor(() => auth.status().listening, 3_000, 'the subscriber to be back');
  });
});
