import { randomUUID } from 'node:crypto';
import { PayoutsService } from '../../../src/payouts/payouts.service';
import { ctx } from '../../inference/harness';
import type { ContractContext, Scenario } from '../context';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const today = () => new Date().toISOString().slice(0, 10);

/** A node of the signed-in provider's own (set up through the raw browser: that route is another group's). */
async function providerNode(c: ContractContext): Promise<string> {
  const res = await c.as.provider.browser.post(`${c.url}/provider/nodes`, { name: `contract-${randomUUID().slice(0, 8)}`, endpointUrl: 'http://127.0.0.1:1', models: ['m'] });
  expect(res.status).toBe(201);
  await c.h.t.caughtUp(); // the nodes read model answers the reputation route
  return (res.body as { nodeId: string }).nodeId;
}

export const scenarios: Scenario[] = [
  [
    'staff: the audit log, as a page and as CSV',
    async (c) => {
      const admin = c.as.admin.api;
      // A staff look-up first, so the log has an entry with a target and a query.
      await c.as.support.api.GET('/support/accounts/{id}/state', { params: { path: { id: c.as.developer.accountId } } });
      await c.h.t.caughtUp();
      const page = await admin.GET('/admin/audit-log', { params: { query: { actor: c.as.support.accountId, limit: '5' } } });
      expect(page.response.status).toBe(200);
      expect(page.data!.items.length).toBeGreaterThan(0);
      const csv = await admin.GET('/admin/audit-log.csv', { params: { query: { actor: c.as.support.accountId, from: '2026-01-01' } }, parseAs: 'text' });
      expect(csv.response.status).toBe(200);
      expect(csv.data).toContain('GET /support/accounts/:id/state');
      expect((await admin.GET('/admin/audit-log', { params: { query: { limit: 'many' } } })).response.status).toBe(400);
      expect((await admin.GET('/admin/audit-log.csv', { params: { query: { from: '2026-02-01', to: '2026-01-01' } }, parseAs: 'text' })).response.status).toBe(400);
    },
  ],
  [
    'staff: support finds an account by email and by id; nothing for an unknown one; a developer may not search',
    async (c) => {
      const support = c.as.support.api;
      const byEmail = await support.GET('/support/accounts', { params: { query: { q: c.as.developer.email } } });
      expect(byEmail.data!.items.map((a) => [a.accountId, a.matchedBy])).toEqual([[c.as.developer.accountId, 'email']]);
      const byId = await c.as.admin.api.GET('/support/accounts', { params: { query: { q: c.as.provider.accountId } } });
      expect(byId.data!.items[0].matchedBy).toBe('account id');
      expect((await support.GET('/support/accounts', { params: { query: { q: 'nobody@example.com' } } })).data).toEqual({ items: [] });
      expect((await c.as.developer.api.GET('/support/accounts', { params: { query: { q: 'x' } } })).response.status).toBe(403);
      expect((await support.GET('/support/accounts', { params: { query: { q: '' } } })).response.status).toBe(400);
    },
  ],
  [
    'staff: support replays an account (timeline, state at an instant, balance explained)',
    async (c) => {
      const support = c.as.support.api;
      const id = c.apiDeveloper.accountId; // has credits and usage
      const path = { id };
      const timeline = await support.GET('/support/accounts/{id}/timeline', { params: { path, query: { limit: '50' } } });
      expect(timeline.data!.items.length).toBeGreaterThan(0);
      expect((await support.GET('/support/accounts/{id}/state', { params: { path } })).response.status).toBe(200);
      expect((await support.GET('/support/accounts/{id}/state', { params: { path: { id: c.as.provider.accountId } } })).data!.provider).not.toBeNull();
      const explained = await support.GET('/support/accounts/{id}/balance-explained', { params: { path, query: { at: new Date().toISOString(), limit: '2' } } });
      expect(explained.data!.lines.length).toBeGreaterThan(0);
      expect((await support.GET('/support/accounts/{id}/timeline', { params: { path: { id: UNKNOWN } } })).response.status).toBe(404);
      expect((await support.GET('/support/accounts/{id}/state', { params: { path, query: { at: '9000-01-01' } } })).response.status).toBe(400);
      expect((await support.GET('/support/accounts/{id}/balance-explained', { params: { path: { id: UNKNOWN } } })).response.status).toBe(404);
    },
  ],
  [
    'staff: node records and the reviews of held earnings',
    async (c) => {
      const nodeId = await providerNode(c);
      const mine = await c.as.provider.api.GET('/provider/nodes/{id}/reputation', { params: { path: { id: nodeId } } });
      expect(mine.data!.nodeId).toBe(nodeId);
      expect((await c.as.provider.api.GET('/provider/nodes/{id}/reputation', { params: { path: { id: c.h.nodeIds[0] } } })).response.status).toBe(404);
      const record = await c.as.support.api.GET('/admin/nodes/{id}/reputation', { params: { path: { id: c.h.nodeIds[0] } } });
      expect(record.data!.incidents).toBeDefined();
      expect((await c.as.admin.api.GET('/admin/nodes/{id}/reputation', { params: { path: { id: UNKNOWN } } })).response.status).toBe(404);
      // A flagged node's hold, placed as the trust review places it (flagging one for real takes the trust harness's minutes).
      // The provider's own new node has earned nothing, so neither decision moves money.
      const reviews = c.as.admin.api;
      const hold = async () => {
        const reviewId = `contract-${randomUUID()}`;
        await c.h.t.app
          .get(PayoutsService)
          .holdEarnings(c.as.provider.accountId, { reviewId, nodeId, fromDay: today(), toDay: today(), reason: 'Contract: usage over the bound.' }, ctx());
        await c.h.t.caughtUp();
        return { reviewId };
      };
      const clawed = await hold();
      const open = await c.as.finance.api.GET('/admin/node-reviews', { params: { query: { status: 'open' } } });
      expect(open.data!.map((r) => r.reviewId)).toContain(clawed.reviewId);
      const clawBack = await reviews.POST('/admin/node-reviews/{reviewId}/claw-back', { params: { path: clawed }, body: { reason: 'Contract: unearned.' } });
      expect(clawBack.data).toMatchObject({ decision: 'claw_back', recorded: true, clawedBackMicroUsd: '0' });
      expect((await reviews.POST('/admin/node-reviews/{reviewId}/release', { params: { path: clawed }, body: { reason: 'changed my mind' } })).response.status).toBe(409);
      const released = await hold();
      expect((await reviews.POST('/admin/node-reviews/{reviewId}/release', { params: { path: released }, body: { reason: 'Contract: fair.' } })).data!.recorded).toBe(true);
      await c.h.t.caughtUp();
      expect((await reviews.GET('/admin/node-reviews')).data!.length).toBeGreaterThanOrEqual(2);
      expect((await c.as.provider.api.GET('/provider/nodes/{id}/reputation', { params: { path: { id: nodeId } } })).data!.reviews).toHaveLength(2);
      expect((await reviews.GET('/admin/node-reviews', { params: { query: { status: 'lost' as 'open' } } })).response.status).toBe(400);
      const unknown = { reviewId: UNKNOWN };
      for (const route of ['/admin/node-reviews/{reviewId}/release', '/admin/node-reviews/{reviewId}/claw-back'] as const) {
        expect((await reviews.POST(route, { params: { path: unknown }, body: { reason: 'checked' } })).response.status).toBe(404);
        expect((await reviews.POST(route, { params: { path: released }, body: {} as { reason: string } })).response.status).toBe(400);
      }
    },
  ],
  [
    'staff: dashboards (my usage and money, provider earnings, the network)',
    async (c) => {
      await c.h.t.caughtUp();
      const query = { from: today(), to: today() };
      for (const groupBy of ['day', 'model', 'key'] as const) {
        expect((await c.as.developer.api.GET('/me/usage', { params: { query: { groupBy } } })).data!.groupBy).toBe(groupBy);
      }
      expect((await c.as.developer.api.GET('/me/dashboard', { params: { query } })).response.status).toBe(200);
      expect((await c.as.developer.api.GET('/me/usage', { params: { query: { groupBy: 'node' as 'day' } } })).response.status).toBe(400);
      expect((await c.anonymous.GET('/me/dashboard')).response.status).toBe(401);
      for (const groupBy of ['day', 'node'] as const) expect((await c.as.provider.api.GET('/provider/earnings', { params: { query: { groupBy } } })).response.status).toBe(200);
      expect((await c.as.provider.api.GET('/provider/earnings', { params: { query: { from: '2026-02-30' } } })).response.status).toBe(400);
      const network = await c.as.finance.api.GET('/admin/network', { params: { query } });
      expect(network.data!.topModels.length).toBeGreaterThan(0);
      expect((await c.as.admin.api.GET('/admin/network', { params: { query: { from: '2020-01-01', to: '2026-01-01' } } })).response.status).toBe(400);
      expect((await c.as.developer.api.GET('/admin/network')).response.status).toBe(403);
    },
  ],
];
