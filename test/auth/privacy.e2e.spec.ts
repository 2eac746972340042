import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { Browser } from '../support/browser';
import { AuthTestApp, signUp, startAuthApp } from './auth-app';
import { redisContaining } from '../support/privacy-scan';
import { openTestRedis } from '../support/redis';

/**
 * Policies P2, P4, P16: after a password sign-up, a sign-in and key issuance, none of the
 * secrets or personal data the client sent may be found in clear in any table column, any
 * event's data or metadata, or any Redis key or value.
 */
describe('privacy: what sign-in and key issuance leave behind', () => {
  let t: AuthTestApp;
  let redis: Redis;

  beforeAll(async () => {
    t = await startAuthApp('auth_privacy');
    redis = openTestRedis();
  });
  afterAll(async () => {
    await redis?.quit();
    await t?.close();
  });

  async function tableHits(needle: string): Promise<string[]> {
    const columns = await t.database.pool.query<{ table_name: string; column_name: string }>(
      `SELECT c.table_name, c.column_name FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'`,
    );
    expect(columns.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['events', 'accounts', 'api_keys', 'personal_data_keys']));
    const hits: string[] = [];
    for (const { table_name, column_name } of columns.rows) {
      const found = await t.database.pool.query(`SELECT count(*)::int AS n FROM "${table_name}" WHERE strpos(lower("${column_name}"::text), lower($1)) > 0`, [needle]);
      if (found.rows[0].n > 0) hits.push(`${table_name}.${column_name}`);
    }
    return hits;
  }

  const redisHits = (needles: string[]) => redisContaining(redis, needles);

  it('stores no password, API key, token, email, IP or user agent in clear', async () => {
    const unique = randomBytes(4).toString('hex');
    const email = `privacy.${unique}@example.com`;
    const password = `Tr0ub4dor-${unique}-battery`;
    const ip = '203.0.113.77';
    const userAgent = `PrivacyProbe/1.0 (ua-${unique})`;
    const browser = new Browser({ 'x-forwarded-for': ip, 'user-agent': userAgent });

    expect((await signUp(browser, t.url, { email, password, displayName: 'Probe' })).status).toBe(201);
    expect((await browser.post(`${t.url}/auth/logout`)).status).toBe(204);
    const login = await browser.post(`${t.url}/auth/login`, { email, password });
    expect(login.status).toBe(200);
    const first = await browser.post(`${t.url}/me/keys`, { name: 'first' });
    const second = await browser.post(`${t.url}/me/keys`, { name: 'second' });
    const rotated = await browser.post(`${t.url}/me/keys/${second.body.apiKey.id}/rotate`);
    expect([first.status, second.status, rotated.status]).toEqual([201, 201, 201]);
    expect((await browser.post(`${t.url}/auth/refresh`)).status).toBe(200);
    await t.caughtUp();

    const secrets: Record<string, string> = {
      password,
      email,
      ip,
      userAgent,
      'api key 1': first.body.key,
      'api key 2': second.body.key,
      'rotated api key': rotated.body.key,
      'access token': browser.cookie(t.host, 'tg_session')!.value,
      'refresh token': browser.cookie(t.host, 'tg_refresh')!.value,
    };
    // Controls: the searches do find what is meant to be stored (a key's public prefix, the session id).
    expect(await tableHits(first.body.apiKey.prefix)).toEqual(expect.arrayContaining(['api_keys.prefix']));
    const sid = JSON.parse(Buffer.from(secrets['access token'].split('.')[1], 'base64url').toString()).sid as string;
    expect((await redisHits([sid])).length).toBeGreaterThan(0);

    for (const [what, value] of Object.entries(secrets)) {
      expect({ what, tables: await tableHits(value) }).toEqual({ what, tables: [] });
    }
    expect(await redisHits(Object.values(secrets))).toEqual([]);

    // The events exist and carry what they should, sealed or hashed.
    const signIns = await t.database.pool.query(`SELECT data FROM events WHERE stream LIKE 'signins-%'`);
    expect(signIns.rows).toHaveLength(2);
    expect(signIns.rows.every((r) => String(r.data.ip).startsWith('pd1.') && String(r.data.userAgent).startsWith('pd1.'))).toBe(true);
  });
});
