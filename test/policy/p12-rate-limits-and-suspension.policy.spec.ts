import { INestApplication } from '@nestjs/common';
import OpenAI from 'openai';
import request from 'supertest';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { bearer, ctx, registerDeveloper, startApp } from '../api-keys/support';
import { InferenceHarness, MODEL, startInferenceHarness } from '../inference/harness';
import { createTestDatabase, TestDatabase } from '../support/database';
import { waitFor } from '../support/eventually';

describe('P12: rate limits are enforced and accounts that break the rules can be suspended', () => {
  describe('per-key rate limits on /v1', () => {
    let h: InferenceHarness;

    beforeAll(async () => {
      h = await startInferenceHarness('policy_p12');
    }, 60_000);
    afterAll(async () => {
      await h?.close();
    });

    it('rate-limits per key with 429, Retry-After and x-ratelimit headers', async () => {
      const limited = await h.developer(1n, { requestsPerMinute: 2 });
      // The limits count in fixed one-minute windows: the three requests must fall in one, not straddle a minute's end.
      const leftInMinute = 60_000 - (Date.now() % 60_000);
      if (leftInMinute < 10_000) await new Promise((resolve) => setTimeout(resolve, leftInMinute + 100));
      await limited.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
      const { response } = await limited.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('2');
      expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('0');
      const refused = await limited.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
      expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    });
  });

  describe('suspension', () => {
    let database: TestDatabase;
    let app: INestApplication;
    let url: string;
    let accounts: AccountsService;
    let keys: ApiKeysService;
    const me = (authorization: string) => request(url).get('/v1/me').set('authorization', authorization);

    beforeAll(async () => {
      database = await createTestDatabase('policy_p12_suspend');
      ({ app, url } = await startApp(database.url));
      accounts = app.get(AccountsService);
      keys = app.get(ApiKeysService);
    });
    afterAll(async () => {
      await app?.close();
      await database?.drop();
    });

    it('refuses every key of a suspended account at once (403), and admits them again once reinstated', async () => {
      const accountId = await registerDeveloper(accounts, 'suspended');
      const a = await keys.issue(accountId, { name: 'a' }, ctx());
      const b = await keys.issue(accountId, { name: 'b' }, ctx());
      await me(bearer(a.key)).expect(200);
      await me(bearer(b.key)).expect(200);
      await accounts.suspend(accountId, 'abuse', ctx());
      const suspendedAt = Date.now();
      for (const key of [a.key, b.key]) {
        const res = await waitFor(
          async () => {
            const r = await me(bearer(key));
            return r.status === 403 ? r : null;
          },
          1_000,
          'the suspended account to be refused',
        );
        expect(res.body).toEqual({ error: { message: expect.stringContaining('suspended'), type: 'request_forbidden', param: null, code: 'account_suspended' } });
      }
      console.log(`suspended account refused ${Date.now() - suspendedAt} ms after suspend() returned`);
      await accounts.reinstate(accountId, ctx());
      const reinstatedAt = Date.now();
      // The read model may still say "suspended" for a moment; the reinstatement message overrides it.
      for (const key of [a.key, b.key]) await waitFor(async () => (await me(bearer(key))).status === 200, 1_000, 'the reinstated account to be admitted');
      console.log(`reinstated account admitted ${Date.now() - reinstatedAt} ms after reinstate() returned`);
    });
  });
});
