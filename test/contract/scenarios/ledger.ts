import { eventually } from '../../support/eventually';
import type { Scenario } from '../context';

const NO_SUCH_ACCOUNT = '00000000-0000-4000-8000-000000000000';

export const scenarios: Scenario[] = [
  [
    'ledger: staff grant, correct and approve credits; finance reads journal, trial balance, accounts; the developer reads balance and statement',
    async (c) => {
      const { admin, finance, developer, support } = c.as;
      const id = developer.accountId;
      const path = { id };

      // Grants and corrections (admin and finance), bad bodies and an unknown account.
      const granted = await admin.api.POST('/admin/accounts/{id}/credits/grants', {
        params: { path },
        body: { amountUsd: '5.00', reason: 'contract goodwill', operationId: 'contract-grant-1' },
      });
      expect(granted.response.status).toBe(201);
      expect(granted.data).toMatchObject({ recorded: true, status: 'applied', amountMicroUsd: '5000000' });
      // A negative correction is checked against the available credits, which take the grant a moment
      // after it is recorded: retried (its operationId makes a retry the same correction) until they have.
      await eventually(async () => {
        const res = await finance.api.POST('/admin/accounts/{id}/credits/corrections', {
          params: { path },
          body: { amountUsd: '-1.50', reason: 'contract correction', operationId: 'contract-correction-1' },
        });
        expect(res.response.status).toBe(201);
      });
      expect((await admin.api.POST('/admin/accounts/{id}/credits/grants', { params: { path }, body: { amountUsd: '1.1234567', reason: 'x' } })).error).toMatchObject({
        code: 'invalid_amount',
      });
      expect((await admin.api.POST('/admin/accounts/{id}/credits/corrections', { params: { path }, body: { amountUsd: '1' } as never })).error).toMatchObject({
        code: 'invalid_body',
      });
      expect((await admin.api.POST('/admin/accounts/{id}/credits/corrections', { params: { path }, body: { amountUsd: '-100000', reason: 'too much' } })).response.status).toBe(
        409,
      );
      const unknown = await admin.api.POST('/admin/accounts/{id}/credits/grants', { params: { path: { id: NO_SUCH_ACCOUNT } }, body: { amountUsd: '1.00', reason: 'x' } });
      expect(unknown.response.status).toBe(404);
      expect((await developer.api.POST('/admin/accounts/{id}/credits/grants', { params: { path }, body: { amountUsd: '1.00', reason: 'me' } })).response.status).toBe(403);

      // Above the approval threshold (100.00): a request until another staff member decides.
      const big = (operationId: string) => ({ params: { path }, body: { amountUsd: '150.00', reason: 'contract partner', operationId } });
      expect((await admin.api.POST('/admin/accounts/{id}/credits/grants', big('contract-big-1'))).data).toMatchObject({ status: 'pending_approval' });
      expect((await admin.api.POST('/admin/accounts/{id}/credits/grants', big('contract-big-2'))).data).toMatchObject({ status: 'pending_approval' });
      await c.h.t.caughtUp();
      const approvals = await finance.api.GET('/admin/approvals', { params: { query: { kind: 'grant', limit: '50' } } });
      expect(approvals.data?.map((a) => a.requestId)).toEqual(expect.arrayContaining(['contract-big-1', 'contract-big-2']));
      expect((await finance.api.GET('/admin/approvals', { params: { query: { status: 'approved' } } })).response.status).toBe(200);
      expect((await finance.api.GET('/admin/approvals', { params: { query: { limit: '0' } } })).error).toMatchObject({ code: 'invalid_query' });
      const decide = (operationId: string) => ({ params: { path: { id, operationId } } });
      expect((await admin.api.POST('/admin/accounts/{id}/credits/approvals/{operationId}/approve', decide('contract-big-1'))).error).toMatchObject({ code: 'self_approval' });
      expect((await finance.api.POST('/admin/accounts/{id}/credits/approvals/{operationId}/approve', decide('contract-big-1'))).data).toMatchObject({ status: 'applied' });
      expect(
        (await finance.api.POST('/admin/accounts/{id}/credits/approvals/{operationId}/reject', { ...decide('contract-big-2'), body: { reason: 'not now' } })).data,
      ).toMatchObject({
        status: 'rejected',
      });
      expect((await finance.api.POST('/admin/accounts/{id}/credits/approvals/{operationId}/approve', decide('contract-big-2'))).response.status).toBe(409);
      expect((await finance.api.POST('/admin/accounts/{id}/credits/approvals/{operationId}/approve', decide('no-such-op'))).response.status).toBe(404);
      expect((await finance.api.POST('/admin/accounts/{id}/credits/approvals/{operationId}/reject', { ...decide('no-such-op'), body: { reason: 'x' } })).response.status).toBe(404);
      expect((await finance.api.POST('/admin/accounts/{id}/credits/approvals/{operationId}/reject', { ...decide('no-such-op'), body: {} as never })).response.status).toBe(400);
      await c.h.t.caughtUp();

      // Staff view of the developer's credits (support may read).
      expect((await support.api.GET('/admin/accounts/{id}/credits', { params: { path } })).data?.ledger.account).toBe(`developer:${id}`);
      expect((await admin.api.GET('/admin/accounts/{id}/credits', { params: { path: { id: 'not-an-id' } } })).response.status).toBe(404);

      // The developer: balance, statement (paged), CSV.
      expect((await developer.api.GET('/me/credits')).data?.currency).toBe('USD');
      const statement = await developer.api.GET('/me/credits/statement', { params: { query: { limit: '2' } } });
      expect(statement.data?.items.length).toBe(2);
      const older = await developer.api.GET('/me/credits/statement', { params: { query: { limit: '2', cursor: statement.data!.nextCursor! } } });
      expect(older.response.status).toBe(200);
      expect((await developer.api.GET('/me/credits/statement', { params: { query: { from: 'yesterday' } } })).error).toMatchObject({ code: 'invalid_query' });
      expect((await developer.api.GET('/me/credits/statement', { params: { query: { limit: '0' } } })).error).toMatchObject({ code: 'invalid_limit' });
      const csv = await developer.api.GET('/me/credits/statement.csv', { params: { query: { from: '2000-01-01' } }, parseAs: 'text' });
      expect(csv.data?.split('\r\n')[0]).toMatch(/^entry_no,occurred_at,/);
      expect((await developer.api.GET('/me/credits/statement.csv', { params: { query: { from: '2026-01-02', to: '2026-01-01' } }, parseAs: 'text' })).response.status).toBe(400);
      expect((await c.anonymous.GET('/me/credits')).response.status).toBe(401);

      // Finance: journal (paged, CSV), trial balance, ledger accounts, one account's lines.
      const account = `developer:${id}`;
      const journal = await finance.api.GET('/finance/journal', { params: { query: { account, limit: '1' } } });
      expect(journal.data?.items[0].postings.length).toBeGreaterThan(1);
      expect((await finance.api.GET('/finance/journal', { params: { query: { owner: id, type: 'CreditsGranted', cursor: journal.data!.nextCursor! } } })).response.status).toBe(
        200,
      );
      expect((await finance.api.GET('/finance/journal', { params: { query: { account: 'nonsense' } } })).error).toMatchObject({ code: 'ledger_account_not_found' });
      expect((await finance.api.GET('/finance/journal', { params: { query: { limit: 'ten' } } })).error).toMatchObject({ code: 'invalid_query' });
      expect((await developer.api.GET('/finance/journal')).response.status).toBe(403);
      const journalCsv = await finance.api.GET('/finance/journal.csv', { params: { query: { account } }, parseAs: 'text' });
      expect(journalCsv.data?.split('\r\n')[0]).toMatch(/^tx_no,occurred_at,/);
      expect((await finance.api.GET('/finance/journal.csv', { params: { query: { account: 'no-such-account' } }, parseAs: 'text' })).response.status).toBe(404);
      expect((await finance.api.GET('/finance/journal.csv', { params: { query: { from: 'soon' } }, parseAs: 'text' })).response.status).toBe(400);
      expect((await finance.api.GET('/finance/trial-balance')).data?.totals.balanced).toBe(true);
      expect((await admin.api.GET('/finance/trial-balance', { params: { query: { at: '2000-01-01T00:00:00Z' } } })).data?.at).toBe('2000-01-01T00:00:00.000Z');
      expect((await finance.api.GET('/finance/trial-balance', { params: { query: { at: '9999-01-01' } } })).error).toMatchObject({ code: 'invalid_query' });
      const accounts = await finance.api.GET('/finance/ledger-accounts', { params: { query: { kind: 'platform', limit: '1' } } });
      expect(accounts.data?.items).toHaveLength(1);
      expect((await finance.api.GET('/finance/ledger-accounts', { params: { query: { kind: 'platform', cursor: accounts.data!.nextCursor! } } })).response.status).toBe(200);
      expect((await finance.api.GET('/finance/ledger-accounts', { params: { query: { kind: 'nobody' as never } } })).error).toMatchObject({ code: 'invalid_query' });
      const lines = await finance.api.GET('/finance/ledger-accounts/{account}', { params: { path: { account }, query: { limit: '5' } } });
      expect(lines.data?.lines.items.some((l) => l.reason === 'contract goodwill')).toBe(true);
      expect((await finance.api.GET('/finance/ledger-accounts/{account}', { params: { path: { account: 'nonsense' } } })).response.status).toBe(404);
      expect((await finance.api.GET('/finance/ledger-accounts/{account}', { params: { path: { account }, query: { cursor: 'x' } } })).error).toMatchObject({
        code: 'invalid_cursor',
      });
    },
  ],
  [
    'admin mail: the dead letters',
    async (c) => {
      const failed = await c.as.admin.api.GET('/admin/mail/failed', { params: { query: { limit: '10' } } });
      expect(Array.isArray(failed.data?.items)).toBe(true);
      expect((await c.as.admin.api.GET('/admin/mail/failed')).response.status).toBe(200);
      expect((await c.as.admin.api.GET('/admin/mail/failed', { params: { query: { limit: '0' } } })).error).toMatchObject({ code: 'invalid_query' });
      expect((await c.as.finance.api.GET('/admin/mail/failed')).response.status).toBe(403);
    },
  ],
];
