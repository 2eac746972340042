import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword, verifyPassword } from '../../src/accounts/password';
import { AuthTestApp, newBrowser, signUp, startAuthApp } from '../auth/auth-app';
import { tablesContaining } from '../support/privacy-scan';

describe('P4: passwords are hashed with a strong algorithm', () => {
  it('uses scrypt with N=2^15, r=8 (32 MiB per hash), a fresh salt each time, parameters stored with the hash', async () => {
    const password = 'correct horse battery staple';
    const [one, two] = await Promise.all([hashPassword(password), hashPassword(password)]);
    const [kind, n, r, p, salt, hash] = one.split('$');
    expect({ kind, n: Number(n), r: Number(r), p: Number(p) }).toEqual({ kind: 'scrypt', n: 2 ** 15, r: 8, p: 1 });
    expect(128 * Number(n) * Number(r)).toBeGreaterThanOrEqual(32 * 1024 * 1024); // scrypt's memory: 128·N·r bytes
    expect(Buffer.from(salt, 'base64url')).toHaveLength(16);
    expect(Buffer.from(hash, 'base64url')).toHaveLength(32);
    expect(two).not.toBe(one); // salted: equal passwords, different hashes
    expect(one).not.toContain(password);
    expect(await verifyPassword(password, one)).toBe(true);
    expect(await verifyPassword(password, two)).toBe(true);
    expect(await verifyPassword(`${password}!`, one)).toBe(false);
    // A stored hash with weakened parameters would not verify the same password: the parameters are really used.
    expect(await verifyPassword(password, ['scrypt', 2 ** 14, r, p, salt, hash].join('$'))).toBe(false);
  });

  describe('in the running service', () => {
    const logFile = join(tmpdir(), `tollgate-p04-${randomUUID()}.log`);
    let t: AuthTestApp;
    beforeAll(async () => {
      t = await startAuthApp('policy_p04', { logLevel: 'trace', logFile });
    });
    afterAll(async () => {
      await t?.close();
      rmSync(logFile, { force: true });
    });

    it('stores only the scrypt hash of a registered or changed password, and never logs it', async () => {
      const email = `p4-${randomUUID()}@example.com`;
      const password = `first-${randomUUID()}`;
      const changed = `second-${randomUUID()}`;
      const browser = newBrowser();
      expect((await signUp(browser, t.url, { email, password })).status).toBe(201);
      expect((await browser.post(`${t.url}/me/password`, { currentPassword: password, newPassword: changed })).status).toBe(204);
      expect((await newBrowser().post(`${t.url}/auth/login`, { email, password: 'wrong-password-123' })).status).toBe(401);
      await t.caughtUp();

      const { rows } = await t.database.pool.query<{ data: { passwordHash: string } }>(
        `SELECT data FROM events WHERE event_type = 'PasswordChanged' AND stream = $1 ORDER BY revision`,
        [`account-${(await browser.get(`${t.url}/me`)).body.accountId}`],
      );
      expect(rows).toHaveLength(2);
      expect(await verifyPassword(password, rows[0].data.passwordHash)).toBe(true);
      expect(await verifyPassword(changed, rows[1].data.passwordHash)).toBe(true);
      for (const { data } of rows) expect(data.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
      expect(await tablesContaining(t.database.pool, [password, changed, 'wrong-password-123'])).toEqual([]);
      const logs = readFileSync(logFile, 'utf8');
      expect(logs).toContain('/auth/register');
      for (const value of [password, changed, 'wrong-password-123']) expect(logs).not.toContain(value);
    });
  });
});
