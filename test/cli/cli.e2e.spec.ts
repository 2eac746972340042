import { cli, cliProcess } from '../support/cli';
import { createTestDatabase, TestDatabase } from '../support/database';

const KEY = /^tg_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/;
const PASSWORD = 'correct horse battery staple';
/**
 * The commands run in-process (support/cli.ts); one test, admin:create, runs the real entry point in a
 * child process (≈ 2 s compiled, ≈ 8 s through ts-node; more on a loaded 2-core machine).
 */
const CLI_TIMEOUT_MS = 120_000;
/** Issue 22: the person confirms 18 or older and accepts the configured versions ('1') in force. */
const AGREE = ['--over18', 'yes', '--accept-terms', '1', '--accept-privacy', '1'];

describe('the CLI (src/cli/main.ts) goes through the same services', () => {
  let database: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase('cli');
    env = { DATABASE_URL: database.url };
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function accountEvents(accountId: string) {
    return (await database.pool.query(`SELECT event_type, data, metadata FROM events WHERE stream = $1 ORDER BY revision`, [`account-${accountId}`])).rows;
  }

  it(
    'rejects bad usage with exit code 2 and a usage line, before touching anything',
    async () => {
      const runs = await Promise.all([
        cli(env, ['admin:create', '--email']),
        cli(env, ['admin:create', '--email', 'a@example.com', '--password', PASSWORD, '--bogus', '1']),
        cli(env, ['admin:create', '--password', PASSWORD]),
        cli(env, ['admin:create', 'a@example.com']),
        cli(env, ['no-such-command']),
        cli(env, ['users:create', '--email', 'p@example.com', '--password', PASSWORD, '--role', 'provider', ...AGREE]),
        cli(env, ['roles:grant', '--email', 'p@example.com', '--role', 'overlord']),
      ]);
      for (const run of runs) {
        expect(run.code).toBe(2);
        expect(run.stderr).toContain('usage:');
      }
      expect(runs[0].stderr).toContain('--email needs a value');
      expect(runs[1].stderr).toContain('unknown flag --bogus');
      expect(runs[2].stderr).toContain('missing --email');
      expect(runs[1].stderr).not.toContain(PASSWORD);
      expect(runs[5].stderr).toContain('invite-only');
      expect(runs[6].stderr).toContain('--role must be one of');
      expect(await database.pool.query('SELECT 1 FROM events LIMIT 1').then((r) => r.rowCount)).toBe(0);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'admin:create registers an admin, recorded as done by operator:cli (the entry point in a child process)',
    async () => {
      const run = await cliProcess(env, ['admin:create', '--email', 'root@example.com', '--password', PASSWORD, '--name', 'Root', ...AGREE]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const { accountId, roles } = JSON.parse(run.stdout);
      expect(roles).toEqual(['developer', 'admin']);
      const events = await accountEvents(accountId);
      expect(events[0]).toMatchObject({ event_type: 'AccountRegistered', data: { roles: ['developer', 'admin'], via: 'cli' }, metadata: { actorId: 'operator:cli' } });
      expect(events[2]).toMatchObject({ event_type: 'EligibilityAttested', data: { over18: true, termsVersion: '1', privacyVersion: '1', attestedAt: expect.any(String) } });
      expect(JSON.stringify(events)).not.toContain('root@example.com');
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'users:create takes --flag=value and a staff role; a taken email is refused (exit 1)',
    async () => {
      const run = await cli(env, ['users:create', '--email=dev@example.com', `--password=${PASSWORD}`, '--role=finance', '--over18=yes', '--accept-terms=1', '--accept-privacy=1']);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).roles).toEqual(['developer', 'finance']);
      const taken = await cli(env, ['users:create', '--email', 'ROOT@example.com', '--password', PASSWORD, ...AGREE]);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain('email_taken');
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'a staff account is created only with the age confirmation and the versions in force (issue 22): usage error 2 naming what is missing, 1 for a version not in force',
    async () => {
      const [none, notYes, oldTerms] = await Promise.all([
        cli(env, ['admin:create', '--email', 'minor@example.com', '--password', PASSWORD]),
        cli(env, ['users:create', '--email', 'minor@example.com', '--password', PASSWORD, '--over18', 'no', '--accept-terms', '1', '--accept-privacy', '1']),
        cli(env, ['users:create', '--email', 'minor@example.com', '--password', PASSWORD, '--over18', 'yes', '--accept-terms', '0.9', '--accept-privacy', '1']),
      ]);
      expect([none.code, notYes.code, oldTerms.code]).toEqual([2, 2, 1]);
      expect(none.stderr).toContain('missing --over18, --accept-terms, --accept-privacy');
      expect(notYes.stderr).toContain('--over18 must be "yes"');
      expect(oldTerms.stderr).toContain('terms_version_not_in_force');
      expect(oldTerms.stderr).toContain('version 1');
      const { rows } = await database.pool.query(`SELECT count(*)::int AS n FROM events WHERE event_type = 'IdentityClaimed'`);
      console.log(
        `CLI sign-up without attestation: exit ${none.code} (${none.stderr.split('\n')[0]}); --over18 no: exit ${notYes.code}; terms 0.9: exit ${oldTerms.code}; identities claimed in all: ${rows[0].n}`,
      );
      expect(rows[0].n).toBe(2); // root@ and dev@ only: the refused sign-ups claimed nothing
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'keys:issue prints the key once on stdout and metadata on stderr; only its hash is stored',
    async () => {
      const run = await cli(env, ['keys:issue', '--email', 'dev@example.com', '--name', 'ci', '--expires-at', new Date(Date.now() + 86_400_000).toISOString()]);
      expect(run.code).toBe(0);
      const lines = run.stdout.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      const key = lines[0];
      expect(key).toMatch(KEY);
      expect(run.stderr).not.toContain(key);
      const meta = JSON.parse(run.stderr);
      expect(meta.apiKey).toMatchObject({ name: 'ci', status: 'active', prefix: key.slice(0, 'tg_live_'.length + 12) });
      const stored = await database.pool.query(`SELECT count(*)::int AS n FROM events WHERE data::text LIKE $1 OR metadata::text LIKE $1`, [`%${key}%`]);
      expect(stored.rows[0].n).toBe(0);
      const issued = await database.pool.query(`SELECT metadata FROM events WHERE stream = $1`, [`apikey-${meta.apiKey.id}`]);
      expect(issued.rows[0].metadata.actorId).toBe('operator:cli');
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'credits:grant records an audited promotional grant; a bad amount is a usage error',
    async () => {
      const [bad, run] = await Promise.all([
        cli(env, ['credits:grant', '--email', 'dev@example.com', '--amount-usd', '1.2345678', '--reason', 'x']),
        cli(env, ['credits:grant', '--email', 'dev@example.com', '--amount-usd', '12.50', '--reason', 'launch promo', '--operation-id', 'promo-1']),
      ]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--amount-usd must be a positive USD amount');
      expect(run.code).toBe(0);
      const out = JSON.parse(run.stdout);
      expect(out).toMatchObject({ recorded: true, amountUsd: '12.50', operationId: 'promo-1' });
      const events = (await database.pool.query(`SELECT event_type, data, metadata FROM events WHERE stream = $1`, [`credits-${out.accountId}`])).rows;
      expect(events).toEqual([
        expect.objectContaining({
          event_type: 'CreditsGranted',
          data: expect.objectContaining({ amountMicroUsd: '12500000', reason: 'launch promo' }),
          metadata: expect.objectContaining({ actorId: 'operator:cli' }),
        }),
      ]);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'grants and revokes roles, suspends and reinstates, by email',
    async () => {
      const grant = await cli(env, ['roles:grant', '--email', 'dev@example.com', '--role', 'support']);
      expect(grant.code).toBe(0);
      const { accountId, roles } = JSON.parse(grant.stdout);
      expect(roles).toEqual(['developer', 'finance', 'support']);
      const revoke = await cli(env, ['roles:revoke', '--email', 'dev@example.com', '--role', 'finance']);
      expect(JSON.parse(revoke.stdout).roles).toEqual(['developer', 'support']);
      expect((await cli(env, ['users:suspend', '--email', 'dev@example.com'])).code).toBe(2); // --reason is required
      expect((await cli(env, ['users:suspend', '--email', 'dev@example.com', '--reason', 'chargebacks'])).code).toBe(0);
      expect((await cli(env, ['users:reinstate', '--email', 'dev@example.com'])).code).toBe(0);
      const missing = await cli(env, ['users:suspend', '--email', 'nobody@example.com', '--reason', 'x']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('account_not_found');

      const types = (await accountEvents(accountId)).map((e) => [e.event_type, e.metadata.actorId]);
      expect(types).toEqual(
        expect.arrayContaining([
          ['RoleGranted', 'operator:cli'],
          ['RoleRevoked', 'operator:cli'],
          ['AccountSuspended', 'operator:cli'],
          ['AccountReinstated', 'operator:cli'],
        ]),
      );
    },
    3 * CLI_TIMEOUT_MS,
  );

  it(
    'keeps migrate and the projection commands working',
    async () => {
      const migrate = await cli(env, ['migrate']);
      expect(migrate.code).toBe(0);
      expect(JSON.parse(migrate.stdout)).toEqual({ applied: [] });
      const rebuild = await cli(env, ['projections:rebuild']);
      expect(rebuild.code).toBe(0);
      expect(JSON.parse(rebuild.stdout).rebuilt).toEqual(expect.arrayContaining(['accounts', 'api-keys']));
      const verify = await cli(env, ['projections:verify']);
      expect(verify.code).toBe(0);
      const accounts = await database.pool.query(`SELECT roles FROM accounts ORDER BY registered_at`);
      expect(accounts.rows.map((r) => r.roles)).toEqual([
        ['developer', 'admin'],
        ['developer', 'support'],
      ]);
    },
    CLI_TIMEOUT_MS,
  );
});
