import { INestApplication } from '@nestjs/common';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { PROJECTION_RUNNER } from '../../src/platform/projection-runtime/projection-runtime.module';
import { ProjectionRunner } from '../../src/platform/projection-runtime/projection-runner';
import { startTestApp } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { AGREED } from '../support/eligibility';

const ctx = () => ({ actorId: 'test', occurredAt: new Date().toISOString() });

describe('accounts and keys services', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let accounts: AccountsService;
  let keys: ApiKeysService;

  beforeAll(async () => {
    database = await createTestDatabase('accounts');
    ({ app } = await startTestApp(database.url));
    accounts = app.get(AccountsService);
    keys = app.get(ApiKeysService);
  });
  afterAll(async () => {
    await app?.close();
    await database.drop();
  });
  const caughtUp = () => app.get<ProjectionRunner>(PROJECTION_RUNNER).waitUntilCaughtUp();

  it('registers once per email, verifies the password, and keeps personal data sealed', async () => {
    const { accountId } = await accounts.register({ email: 'Ada@Example.com', password: 'correct horse battery', displayName: 'Ada', via: 'password', eligibility: AGREED }, ctx());
    await expect(accounts.register({ email: 'ada@example.com', password: 'another password!', via: 'password', eligibility: AGREED }, ctx())).rejects.toMatchObject({
      code: 'email_taken',
    });
    await expect(accounts.verifyPassword('ADA@example.com', 'correct horse battery')).resolves.toEqual({ accountId });
    await expect(accounts.verifyPassword('ada@example.com', 'wrong password!!')).rejects.toMatchObject({ code: 'invalid_credentials' });
    await expect(accounts.verifyPassword('nobody@example.com', 'whatever123')).rejects.toMatchObject({ code: 'invalid_credentials' });
    await caughtUp();
    expect(await accounts.view(accountId)).toMatchObject({ email: 'ada@example.com', displayName: 'Ada', roles: ['developer'], status: 'active' });
    const stored = await database.pool.query(`SELECT count(*) AS n FROM events WHERE data::text ILIKE '%ada@example.com%' OR data::text ILIKE '%"Ada"%'`);
    expect(stored.rows[0].n).toBe('0');
    const rows = await database.pool.query(`SELECT count(*) AS n FROM accounts WHERE row_to_json(accounts)::text ILIKE '%ada@example%'`);
    expect(rows.rows[0].n).toBe('0');
  });

  it('issues a key shown once, stores only its hash, lists metadata, rotates and revokes', async () => {
    const { accountId } = await accounts.register({ email: 'grace@example.com', password: 'hopper hopper hopper', via: 'password', eligibility: AGREED }, ctx());
    const issued = await keys.issue(accountId, { name: 'ci', limits: { requestsPerMinute: 60 } }, ctx());
    expect(issued.key).toMatch(/^tg_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/);
    await caughtUp();
    const listed = await keys.list(accountId);
    expect(listed).toEqual([expect.objectContaining({ id: issued.apiKey.id, name: 'ci', status: 'active', limits: { requestsPerMinute: 60, tokensPerMinute: null } })]);
    expect(JSON.stringify(listed)).not.toContain(issued.key);

    const rotated = await keys.rotate(accountId, issued.apiKey.id, ctx());
    await caughtUp();
    const after = await keys.list(accountId);
    expect(after.find((k) => k.id === issued.apiKey.id)).toMatchObject({ status: 'revoked', replacedBy: rotated.apiKey.id });
    expect(after.find((k) => k.id === rotated.apiKey.id)).toMatchObject({ status: 'active', rotatedFrom: issued.apiKey.id, name: 'ci' });

    const other = await accounts.register({ email: 'mallory@example.com', password: 'mallory mallory', via: 'password', eligibility: AGREED }, ctx());
    await expect(keys.revoke(other.accountId, rotated.apiKey.id, ctx())).rejects.toMatchObject({ code: 'api_key_not_found' });
    await expect(keys.revoke(other.accountId, 'doesnotexist', ctx())).rejects.toMatchObject({ code: 'api_key_not_found' });
    await keys.revoke(accountId, rotated.apiKey.id, ctx());
  });

  it('refuses keys for a suspended account', async () => {
    const { accountId } = await accounts.register({ email: 'eve@example.com', password: 'eve eve eve eve', via: 'password', eligibility: AGREED }, ctx());
    await accounts.suspend(accountId, 'abuse', ctx());
    await expect(keys.issue(accountId, { name: 'x' }, ctx())).rejects.toMatchObject({ code: 'account_suspended' });
    await expect(accounts.verifyPassword('eve@example.com', 'eve eve eve eve')).rejects.toMatchObject({ code: 'account_suspended' });
  });
});
