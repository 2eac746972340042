import { EVENT_STORE, EventStore } from '../../../src/platform/event-store/event-store.port';
import { LIFECYCLE, Lifecycle } from '../../../src/platform/health/lifecycle';
import { recordUsage } from '../../../src/metering/usage-recorder';
import { MODEL } from '../../inference/harness';
import { eventually } from '../../support/eventually';
import { registerAndSignIn, signIn } from '../../support/sign-in';
import type { ContractContext, Scenario } from '../context';

const DAY_MS = 86_400_000;

/**
 * Earnings old enough to pay out: the contract app keeps the default holdback (7 days) and minimum
 * (10.00 USD), so /v1 traffic alone is all held back. One charge served by the harness's node, as a
 * ledger fixture recorded 8 days ago (the way the gateway records it, through the usage decider),
 * gives its provider 28.00 USD of matured earnings.
 */
async function maturedEarnings(c: ContractContext): Promise<void> {
  const dev = await c.h.developer(0n);
  const at = new Date(Date.now() - 8 * DAY_MS).toISOString();
  await recordUsage(
    c.h.t.app.get<EventStore>(EVENT_STORE),
    {
      type: 'RecordUsage',
      requestId: `contract-payouts-${dev.accountId.slice(0, 8)}`,
      accountId: dev.accountId,
      keyId: dev.keyId,
      model: MODEL,
      endpoint: 'chat.completions',
      nodeId: c.h.nodeIds[0],
      providerId: c.h.providerId,
      status: 'completed',
      inputTokens: 10,
      outputTokens: 20,
      images: 0,
      estimated: false,
      ttftMs: 5,
      latencyMs: 40,
      costMicroUsd: 40_000_000n,
      providerShareBps: 7_000,
      at,
    },
    { actorId: 'operator:test', occurredAt: at },
  );
  await c.h.t.caughtUp();
}

export const scenarios: Scenario[] = [
  [
    'payouts: a provider requests payouts of matured earnings; finance approves, a second finance member marks paid, another is rejected',
    async (c) => {
      await maturedEarnings(c);
      // The harness's provider (its node served the charge): startInferenceHarness('contract') registered it.
      const provider = c.client(await signIn(c.url, 'provider-contract@example.com'));
      const finance = c.as.finance.api;
      const finance2 = c.client((await registerAndSignIn(c.h.t.app, c.url, 'contract-finance2@example.com', ['finance'])).browser);
      const providerId = c.h.providerId;

      const available = await provider.GET('/provider/payouts/available');
      expect(available.response.status).toBe(200);
      expect(BigInt(available.data!.availableMicroUsd)).toBeGreaterThanOrEqual(28_000_000n);

      // Refusals: a number for amountUsd, more than is available.
      expect((await provider.POST('/provider/payouts', { body: { amountUsd: 12.5 as unknown as string } })).response.status).toBe(400);
      const tooMuch = await provider.POST('/provider/payouts', { body: { amountUsd: '100000.00' } });
      expect([tooMuch.response.status, tooMuch.error?.code]).toEqual([409, 'payout_exceeds_earnings']);

      const toPay = await provider.POST('/provider/payouts', { body: { amountUsd: '12.00', payoutId: 'contract-payout-paid' } });
      expect(toPay.response.status).toBe(201);
      expect(toPay.data).toEqual({ payoutId: 'contract-payout-paid', recorded: true, type: 'PayoutRequested' });
      const toReject = await provider.POST('/provider/payouts', { body: { amountUsd: '10.00', payoutId: 'contract-payout-rejected' } });
      expect(toReject.response.status).toBe(201);
      await c.h.t.caughtUp(); // the lists are read models

      const mine = await provider.GET('/provider/payouts', { params: { query: { status: 'requested', limit: '10' } } });
      expect(mine.data!.items.map((p) => p.payoutId)).toEqual(expect.arrayContaining(['contract-payout-paid', 'contract-payout-rejected']));
      expect((await provider.GET('/provider/payouts', { params: { query: { status: 'nonsense' as 'paid' } } })).response.status).toBe(400);
      const one = await provider.GET('/provider/payouts/{payoutId}', { params: { path: { payoutId: 'contract-payout-paid' } } });
      expect(one.data).toMatchObject({ status: 'requested', amountUsd: '12.00' });
      expect((await provider.GET('/provider/payouts/{payoutId}', { params: { path: { payoutId: 'no-such-payout' } } })).response.status).toBe(404);

      // Finance's queue, with who took each step.
      const queue = await finance.GET('/finance/payouts', { params: { query: { status: 'requested', providerId } } });
      expect(queue.data!.items.find((p) => p.payoutId === 'contract-payout-paid')).toMatchObject({ requestedBy: providerId, approvedBy: null });
      expect((await finance.GET('/finance/payouts', { params: { query: { limit: 'many' } } })).response.status).toBe(400);
      expect((await finance.GET('/finance/payouts/{providerId}/available', { params: { path: { providerId } } })).response.status).toBe(200);

      const path = (payoutId: string) => ({ params: { path: { providerId, payoutId } } });
      expect((await c.as.admin.api.POST('/finance/payouts/{providerId}/{payoutId}/approve', path('contract-payout-paid'))).response.status).toBe(403);
      expect((await finance.POST('/finance/payouts/{providerId}/{payoutId}/approve', path('no-such-payout'))).response.status).toBe(404);
      const approved = await finance.POST('/finance/payouts/{providerId}/{payoutId}/approve', path('contract-payout-paid'));
      expect(approved.data).toEqual({ payoutId: 'contract-payout-paid', recorded: true, type: 'PayoutApproved' });
      // Four eyes: the approver may not also mark it paid; a second finance member does.
      const self = await finance.POST('/finance/payouts/{providerId}/{payoutId}/paid', { ...path('contract-payout-paid'), body: { reference: 'UTR-CONTRACT-1' } });
      expect([self.response.status, self.error?.code]).toEqual([409, 'second_approver_required']);
      expect((await finance2.POST('/finance/payouts/{providerId}/{payoutId}/paid', { ...path('contract-payout-paid'), body: { reference: '' } })).response.status).toBe(400);
      const paid = await finance2.POST('/finance/payouts/{providerId}/{payoutId}/paid', { ...path('contract-payout-paid'), body: { reference: 'UTR-CONTRACT-1' } });
      expect(paid.data).toEqual({ payoutId: 'contract-payout-paid', recorded: true, type: 'PayoutPaid' });

      expect((await finance.POST('/finance/payouts/{providerId}/{payoutId}/reject', { ...path('contract-payout-rejected'), body: {} as { reason: string } })).response.status).toBe(
        400,
      );
      const rejected = await finance.POST('/finance/payouts/{providerId}/{payoutId}/reject', {
        ...path('contract-payout-rejected'),
        body: { reason: 'bank details do not match' },
      });
      expect(rejected.data).toEqual({ payoutId: 'contract-payout-rejected', recorded: true, type: 'PayoutRejected' });
      expect((await finance.POST('/finance/payouts/{providerId}/{payoutId}/reject', { ...path('contract-payout-paid'), body: { reason: 'too late' } })).response.status).toBe(409);

      await c.h.t.caughtUp();
      const done = await finance.GET('/finance/payouts', { params: { query: { providerId } } });
      expect(done.data!.items.find((p) => p.payoutId === 'contract-payout-paid')).toMatchObject({ status: 'paid', reference: 'UTR-CONTRACT-1', paidBy: expect.any(String) });

      // The earnings statement, as JSON and as CSV.
      const statement = await provider.GET('/provider/payouts/statement', { params: { query: { limit: '50' } } });
      expect(statement.data!.items[0]).toMatchObject({ type: 'PayoutPaid', amountMicroUsd: '-12000000' });
      const badRange = await provider.GET('/provider/payouts/statement', { params: { query: { from: '2026-02-30' } } });
      expect([badRange.response.status, badRange.error?.code]).toEqual([400, 'invalid_query']);
      const browser = await signIn(c.url, 'provider-contract@example.com');
      const csv = await browser.fetch(new Request(`${c.url}/provider/payouts/statement.csv`));
      expect(csv.headers.get('content-type')).toContain('text/csv');
      await c.checker.check('GET', '/provider/payouts/statement.csv', csv);
      await c.checker.check('GET', '/provider/payouts/statement.csv', await browser.fetch(new Request(`${c.url}/provider/payouts/statement.csv?from=2026-11-02&to=2026-11-01`)));
    },
  ],
  [
    'pricing: the public price list; an admin sets a price (a new version), a malformed one is refused',
    async (c) => {
      const effectiveAt = new Date(Date.now() + 3_600_000).toISOString();
      const set = await c.as.admin.api.POST('/admin/prices', {
        body: { model: 'contract/priced-model', inputMicroUsdPerMTok: '150000', outputMicroUsdPerMTok: '600000', perImageMicroUsd: '40000' },
      });
      expect(set.response.status).toBe(201);
      expect(set.data).toMatchObject({ model: 'contract/priced-model', version: 1, perImageMicroUsd: '40000' });
      const later = await c.as.admin.api.POST('/admin/prices', {
        body: { model: 'contract/priced-model', inputMicroUsdPerMTok: '200000', outputMicroUsdPerMTok: '600000', perImageMicroUsd: null, effectiveAt },
      });
      expect(later.data).toMatchObject({ version: 2, perImageMicroUsd: null });
      const bad = await c.as.admin.api.POST('/admin/prices', { body: { model: 'contract/priced-model', inputMicroUsdPerMTok: '-1', outputMicroUsdPerMTok: '1' } });
      expect([bad.response.status, bad.error?.code]).toEqual([400, 'invalid_body']);
      expect((await c.as.developer.api.POST('/admin/prices', { body: { model: 'x', inputMicroUsdPerMTok: '1', outputMicroUsdPerMTok: '1' } })).response.status).toBe(403);

      // The book reloads on its own timer (priceRefreshMs).
      await eventually(
        async () => {
          const list = await c.anonymous.GET('/pricing');
          expect(list.response.status).toBe(200);
          expect(list.data!.data.find((p) => p.model === 'contract/priced-model')).toMatchObject({
            inputUsdPerMTok: '0.15',
            outputUsdPerMTok: '0.6',
            perImageUsd: '0.04',
            scheduled: [expect.objectContaining({ version: 2, perImageUsd: null })],
          });
        },
        10_000,
        100,
      );
    },
  ],
  [
    'health: live; ready (200), and not ready while draining (503, the same shape)',
    async (c) => {
      expect((await c.anonymous.GET('/health/live')).data).toEqual({ status: 'ok' });
      expect((await c.anonymous.GET('/health/ready')).data).toMatchObject({ status: 'ok', checks: { postgres: { status: 'up' } } });
      const lifecycle = c.h.t.app.get<Lifecycle>(LIFECYCLE);
      lifecycle.draining = true;
      try {
        const draining = await c.anonymous.GET('/health/ready');
        expect([draining.response.status, draining.error?.status]).toEqual([503, 'draining']);
      } finally {
        lifecycle.draining = false;
      }
    },
  ],
];
