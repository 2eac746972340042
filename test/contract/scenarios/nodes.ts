import { PROVIDER_TERMS_AGREED } from '../../support/eligibility';
import { registerAndSignIn } from '../../support/sign-in';
import type { ContractContext, Scenario } from '../context';

/** No node or upstream has this id: the 404 answers. */
const MISSING_NODE = 'NoSuchNode00';
const MISSING_UPSTREAM = 'up_NoSuchVendor0';
const NODE_MODEL = 'contract/node-model';
const VENDOR_MODEL = 'contract/vendor-model';

/** A node of the role provider's, registered through the API (its token shown once). */
async function registerNode(c: ContractContext, name: string): Promise<{ nodeId: string; token: string }> {
  const { data, response } = await c.as.provider.api.POST('/provider/nodes', {
    body: { name, endpointUrl: 'http://127.0.0.1:1', models: [NODE_MODEL, { id: `${NODE_MODEL}-long`, contextLength: 32_768 }], gpuModel: 'RTX 4090', gpuMemoryGb: 24 },
  });
  expect(response.status).toBe(201);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return data!;
}

/** The node agent's call: its Bearer node token, no session. */
function heartbeat(c: ContractContext, token: string, models: string[]) {
  return c.anonymous.POST('/nodes/heartbeat', { body: { models, inFlight: 0, queueDepth: 0 }, headers: { authorization: `Bearer ${token}` } });
}

export const scenarios: Scenario[] = [
  [
    'provider invites: an admin invites, the invited account accepts (with the provider terms), another invite is revoked',
    async (c) => {
      const admin = c.as.admin.api;
      const invitee = await registerAndSignIn(c.h.t.app, c.url, 'contract-invitee@example.com');
      const api = c.client(invitee.browser);

      expect((await admin.POST('/admin/provider-invites', { body: { email: 'not an email' } })).response.status).toBe(400);
      const invite = await admin.POST('/admin/provider-invites', { body: { email: invitee.email } });
      expect(invite.response.status).toBe(201);
      expect(invite.data!.token).toMatch(/^tg_inv_/);

      const withoutTerms = await api.POST('/me/provider-invite/accept', { body: { token: invite.data!.token } });
      expect(withoutTerms.response.status).toBe(400);
      expect(withoutTerms.error).toMatchObject({ code: 'provider_terms_required' });
      const unknown = await api.POST('/me/provider-invite/accept', { body: { token: 'tg_inv_nope', providerTermsVersion: PROVIDER_TERMS_AGREED } });
      expect(unknown.response.status).toBe(404);
      const accepted = await api.POST('/me/provider-invite/accept', { body: { token: invite.data!.token, providerTermsVersion: PROVIDER_TERMS_AGREED } });
      expect(accepted.response.status).toBe(201);
      expect(accepted.data!.roles).toContain('provider');
      // Someone else may not use it.
      const used = await c.as.developer.api.POST('/me/provider-invite/accept', { body: { token: invite.data!.token, providerTermsVersion: PROVIDER_TERMS_AGREED } });
      expect(used.response.status).toBe(409);

      const other = await admin.POST('/admin/provider-invites', { body: { email: 'contract-never@example.com' } });
      const revoke = await admin.POST('/admin/provider-invites/{id}/revoke', { params: { path: { id: other.data!.inviteId } } });
      expect(revoke.response.status).toBe(204);
      expect((await admin.POST('/admin/provider-invites/{id}/revoke', { params: { path: { id: 'NoSuchInvite' } } })).response.status).toBe(404);
      expect((await admin.POST('/admin/provider-invites/{id}/revoke', { params: { path: { id: invite.data!.inviteId } } })).response.status).toBe(409);
    },
  ],
  [
    'nodes: a provider registers one (token once), it heartbeats with its token, an admin approves and suspends it, the provider retires it',
    async (c) => {
      const provider = c.as.provider.api;
      const admin = c.as.admin.api;
      const bad = await provider.POST('/provider/nodes', { body: { name: 'n', endpointUrl: 'http://127.0.0.1:1', models: [] } });
      expect(bad.response.status).toBe(400);
      expect((await provider.POST('/provider/nodes', { body: { name: 'n', endpointUrl: 'ftp://127.0.0.1:1', models: [NODE_MODEL] } })).error).toMatchObject({
        code: 'invalid_endpoint',
      });
      const { nodeId, token } = await registerNode(c, 'contract-rig');

      expect((await heartbeat(c, `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`, [])).response.status).toBe(401);
      const beat = await heartbeat(c, token, [NODE_MODEL]);
      expect(beat.response.status).toBe(200);
      expect(beat.data).toMatchObject({ nodeId, status: 'pending' });
      // The token is checked before the body: no valid token is 401 whatever the body; a bad body from a valid token is 400.
      const forged = `Bearer ${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`;
      expect((await c.anonymous.POST('/nodes/heartbeat', { body: { models: 'all' } as never, headers: { authorization: forged } })).response.status).toBe(401);
      expect((await c.anonymous.POST('/nodes/heartbeat', { body: { models: 'all' } as never, headers: { authorization: `Bearer ${token}` } })).response.status).toBe(400);

      await c.h.t.caughtUp(); // the views read the projection
      const mine = await provider.GET('/provider/nodes');
      expect(mine.data!.map((n) => n.id)).toContain(nodeId);
      const one = await provider.GET('/provider/nodes/{id}', { params: { path: { id: nodeId } } });
      expect(one.data).toMatchObject({
        id: nodeId,
        status: 'pending',
        models: [
          { id: NODE_MODEL, contextLength: null },
          { id: `${NODE_MODEL}-long`, contextLength: 32_768 },
        ],
      });
      expect(JSON.stringify(one.data)).not.toContain(token);
      expect((await provider.GET('/provider/nodes/{id}', { params: { path: { id: MISSING_NODE } } })).response.status).toBe(404);
      const models = await provider.PUT('/provider/nodes/{id}/models', { params: { path: { id: nodeId } }, body: { models: [{ id: NODE_MODEL }] } });
      expect(models.response.status).toBe(204);
      expect(
        (await provider.PUT('/provider/nodes/{id}/models', { params: { path: { id: nodeId } }, body: { models: [{ id: NODE_MODEL, extra: 1 } as never] } })).response.status,
      ).toBe(400);

      await c.h.t.caughtUp();
      expect((await admin.GET('/admin/nodes')).data!.map((n) => n.id)).toContain(nodeId);
      expect((await admin.GET('/admin/nodes/{id}', { params: { path: { id: nodeId } } })).data).toMatchObject({ id: nodeId, models: [{ id: NODE_MODEL }] });
      expect((await admin.GET('/admin/nodes/{id}', { params: { path: { id: MISSING_NODE } } })).response.status).toBe(404);
      expect((await admin.POST('/admin/nodes/{id}/approve', { params: { path: { id: nodeId } } })).response.status).toBe(204);
      expect((await admin.POST('/admin/nodes/{id}/approve', { params: { path: { id: MISSING_NODE } } })).response.status).toBe(404);
      expect((await heartbeat(c, token, [NODE_MODEL])).data).toMatchObject({ status: 'approved' });
      expect((await admin.POST('/admin/nodes/{id}/suspend', { params: { path: { id: nodeId } }, body: { reason: '' } })).response.status).toBe(400);
      expect((await admin.POST('/admin/nodes/{id}/suspend', { params: { path: { id: MISSING_NODE } }, body: { reason: 'contract' } })).response.status).toBe(404);
      expect((await admin.POST('/admin/nodes/{id}/suspend', { params: { path: { id: nodeId } }, body: { reason: 'contract: checked' } })).response.status).toBe(204);
      await c.h.t.caughtUp();
      expect((await admin.GET('/admin/nodes/{id}', { params: { path: { id: nodeId } } })).data).toMatchObject({ status: 'suspended', suspendedReason: 'contract: checked' });

      expect((await provider.POST('/provider/nodes/{id}/retire', { params: { path: { id: MISSING_NODE } } })).response.status).toBe(404);
      expect((await provider.POST('/provider/nodes/{id}/retire', { params: { path: { id: nodeId } } })).response.status).toBe(204);
      expect((await admin.POST('/admin/nodes/{id}/approve', { params: { path: { id: nodeId } } })).response.status).toBe(409);
      expect((await provider.PUT('/provider/nodes/{id}/models', { params: { path: { id: nodeId } }, body: { models: [NODE_MODEL] } })).response.status).toBe(409);
      expect((await heartbeat(c, token, [])).response.status).toBe(403);
    },
  ],
  [
    'upstreams: an admin registers a vendor (the key never comes back), lists it, rotates its key, replaces its models, sets a cost, retires it',
    async (c) => {
      const admin = c.as.admin.api;
      const apiKey = 'sk-contract-vendor-key-1';
      const body = { name: 'Contract vendor', baseUrl: 'http://127.0.0.1:1/v1', apiKey, models: [{ id: VENDOR_MODEL, vendorModel: 'vendor/model' }] };
      expect((await admin.POST('/admin/upstreams', { body: { ...body, baseUrl: 'ftp://x' } })).error).toMatchObject({ code: 'invalid_base_url' });
      expect((await admin.POST('/admin/upstreams', { body: { ...body, models: 'all' } as never })).response.status).toBe(400);
      const created = await admin.POST('/admin/upstreams', { body });
      expect(created.response.status).toBe(201);
      const id = created.data!.id;
      expect(created.data).toMatchObject({ name: 'Contract vendor', keyVersion: 1, status: 'active', models: [{ id: VENDOR_MODEL, vendorModel: 'vendor/model' }] });

      expect((await admin.GET('/admin/upstreams')).data!.map((u) => u.id)).toContain(id);
      expect((await admin.GET('/admin/upstreams/{id}', { params: { path: { id } } })).data).toMatchObject({ id, costs: [] });
      expect((await admin.GET('/admin/upstreams/{id}', { params: { path: { id: MISSING_UPSTREAM } } })).response.status).toBe(404);

      const rotated = await admin.POST('/admin/upstreams/{id}/key', { params: { path: { id } }, body: { apiKey: 'sk-contract-vendor-key-2' } });
      expect(rotated.data).toMatchObject({ keyVersion: 2 });
      expect((await admin.POST('/admin/upstreams/{id}/key', { params: { path: { id } }, body: { apiKey: 'short' } })).error).toMatchObject({ code: 'invalid_api_key' });
      const models = await admin.PUT('/admin/upstreams/{id}/models', { params: { path: { id } }, body: { models: [{ id: VENDOR_MODEL }] } });
      expect(models.data).toMatchObject({ models: [{ id: VENDOR_MODEL, vendorModel: null }] });
      expect((await admin.PUT('/admin/upstreams/{id}/models', { params: { path: { id: MISSING_UPSTREAM } }, body: { models: [{ id: VENDOR_MODEL }] } })).response.status).toBe(404);
      const cost = await admin.POST('/admin/upstreams/{id}/costs', {
        params: { path: { id } },
        body: { model: VENDOR_MODEL, inputMicroUsdPerMTok: '500000', outputMicroUsdPerMTok: '1000000', perImageMicroUsd: null },
      });
      expect(cost.response.status).toBe(201);
      expect(cost.data!.costs).toMatchObject([{ model: VENDOR_MODEL, version: 1, inputMicroUsdPerMTok: '500000', perImageMicroUsd: null }]);
      expect(
        (await admin.POST('/admin/upstreams/{id}/costs', { params: { path: { id } }, body: { model: VENDOR_MODEL, inputMicroUsdPerMTok: '1.5', outputMicroUsdPerMTok: '1' } }))
          .response.status,
      ).toBe(400);
      for (const answer of [created, rotated, models, cost]) expect(JSON.stringify(answer.data)).not.toContain('sk-contract-vendor-key');

      expect((await admin.POST('/admin/upstreams/{id}/retire', { params: { path: { id } } })).response.status).toBe(204);
      expect((await admin.POST('/admin/upstreams/{id}/retire', { params: { path: { id: MISSING_UPSTREAM } } })).response.status).toBe(404);
      expect((await admin.POST('/admin/upstreams/{id}/retire', { params: { path: { id } } })).response.status).toBe(409);
      expect((await admin.PUT('/admin/upstreams/{id}/models', { params: { path: { id } }, body: { models: [{ id: VENDOR_MODEL }] } })).response.status).toBe(409);
    },
  ],
];
