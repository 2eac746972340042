import { request } from 'undici';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { NodeAgent } from '../../src/node-agent/node-agent';
import { NodeDispatcher } from '../../src/nodes/routing/node-dispatcher';
import { NodeRegistry } from '../../src/nodes/routing/node-registry';
import { PriceBook } from '../../src/pricing/price-book';
import { createLogger } from '../../src/platform/observability/logger';
import { AuthTestApp, newBrowser, register, startAuthApp } from '../auth/auth-app';
import { Browser } from '../support/browser';
import { freePort } from '../support/net';
import { EngineStandin, startEngine } from '../standins/gpu-engine/engine-standin';
import { AGREED, PROVIDER_TERMS_AGREED } from '../support/eligibility';
import { waitFor } from '../support/eventually';

const MODEL = 'test-org/llama-test:8b';
const PASSWORD = 'correct horse battery staple';
const NODE_TOKEN = /^tg_node_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/;

/**
 * The whole path with real PostgreSQL and Redis: invites, registration, approval, two real node
 * agents in front of two engine stand-ins, heartbeats, routing with failover, the BullMQ sweep,
 * tenancy, /v1/models and prices.
 */
describe('GPU nodes end to end', () => {
  let t: AuthTestApp;
  let store: EventStore;
  let dispatcher: NodeDispatcher;
  let admin: { id: string; browser: Browser };
  let provider: { id: string; browser: Browser; email: string };
  const engines: EngineStandin[] = [];
  const agents: (NodeAgent | null)[] = [];
  const nodes: { nodeId: string; token: string; port: number }[] = [];

  beforeAll(async () => {
    t = await startAuthApp('nodes_e2e', {
      nodes: {
        heartbeatIntervalMs: 100,
        heartbeatTtlMs: 500,
        sweepIntervalMs: 100,
        registryRefreshMs: 50,
        priceRefreshMs: 50,
        cooldownBaseMs: 300,
        cooldownMaxMs: 2_000,
        attemptTimeoutMs: 2_000,
      },
    });
    store = t.app.get<EventStore>(EVENT_STORE);
    dispatcher = t.app.get(NodeDispatcher);
    const accounts = t.app.get(AccountsService);
    const { accountId } = await accounts.register(
      { email: 'admin@example.com', password: PASSWORD, via: 'cli', eligibility: AGREED, roles: ['admin'] },
      { actorId: 'operator:test', occurredAt: new Date().toISOString() },
    );
    const adminBrowser = newBrowser();
    expect((await adminBrowser.post(`${t.url}/auth/login`, { email: 'admin@example.com', password: PASSWORD })).status).toBe(200);
    admin = { id: accountId, browser: adminBrowser };
  });

  afterAll(async () => {
    for (const a of agents) await a?.stop();
    for (const e of engines) await e.close();
    await t?.close();
  });

  const events = async (stream: string) => store.readStream(stream).catch(() => []);
  /** Events as stored (type, data, metadata), to search for things that must not be there. */
  const stored = (list: { type: string; data: unknown; metadata: unknown }[]) => JSON.stringify(list.map((e) => [e.type, e.data, e.metadata]));

  /** The gateway side of a streamed chat completion, as the inference handler will do it. */
  async function chat(): Promise<{ nodeId: string; text: string; attempts: number }> {
    const { node, response, attempts } = await dispatcher.dispatch(MODEL, async (routed, signal) => {
      const res = await request(`${routed.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...routed.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }),
        signal,
      });
      return { status: res.statusCode, body: res.body, discard: () => res.body.dump().catch(() => undefined) };
    });
    const text = await response.body.text();
    const ok = text.endsWith('data: [DONE]\n\n');
    await dispatcher.finish(node.nodeId, { ok, latencyMs: 5, ttftMs: 2 });
    return { nodeId: node.nodeId, text, attempts };
  }

  function startAgent(i: number): Promise<{ url: string | null }> {
    const agent = new NodeAgent({
      gatewayUrl: t.url,
      nodeToken: nodes[i].token,
      engineUrl: engines[i].url,
      engineApiKey: null,
      host: '127.0.0.1',
      port: nodes[i].port,
      maxConcurrency: 8,
      maxQueue: 16,
      heartbeatIntervalMs: null, // as the gateway advises (100 ms here)
      logger: createLogger('silent'),
    });
    agents[i] = agent;
    return agent.start();
  }

  async function nodeView(browser: Browser, nodeId: string) {
    return (await browser.get(`${t.url}/provider/nodes/${nodeId}`)).body;
  }

  it('providers join by invite only: the invited email accepts, once; the admin is the recorded actor', async () => {
    const email = 'gpu-owner@example.com';
    const browser = newBrowser();
    const id = await register(browser, t.url, email, PASSWORD);
    expect((await browser.post(`${t.url}/provider/nodes`, { name: 'x', endpointUrl: 'http://127.0.0.1:1', models: [MODEL] })).status).toBe(403);

    const invite = await admin.browser.post(`${t.url}/admin/provider-invites`, { email: 'GPU-Owner@example.com' });
    expect(invite.status).toBe(201);
    expect(invite.body.token).toMatch(/^tg_inv_/);
    expect(invite.headers.get('cache-control')).toBe('no-store');

    const stranger = newBrowser();
    await register(stranger, t.url, 'stranger@example.com', PASSWORD);
    const mismatch = await stranger.post(`${t.url}/me/provider-invite/accept`, { token: invite.body.token, providerTermsVersion: PROVIDER_TERMS_AGREED });
    expect(mismatch.status).toBe(403);
    expect(mismatch.body.code).toBe('invite_email_mismatch');
    expect(
      (
        await browser.post(`${t.url}/me/provider-invite/accept`, {
          token: invite.body.token.slice(0, -1) + (invite.body.token.endsWith('x') ? 'y' : 'x'),
          providerTermsVersion: PROVIDER_TERMS_AGREED,
        })
      ).body.code,
    ).toBe('invite_not_found');
    expect((await newBrowser().post(`${t.url}/admin/provider-invites`, { email: 'x@example.com' })).status).toBe(401);
    expect((await stranger.post(`${t.url}/admin/provider-invites`, { email: 'x@example.com' })).status).toBe(403);

    const accepted = await browser.post(`${t.url}/me/provider-invite/accept`, { token: invite.body.token, providerTermsVersion: PROVIDER_TERMS_AGREED });
    expect(accepted.status).toBe(201);
    expect(accepted.body.roles).toContain('provider');
    expect((await stranger.post(`${t.url}/me/provider-invite/accept`, { token: invite.body.token, providerTermsVersion: PROVIDER_TERMS_AGREED })).body.code).toBe('invite_used');
    expect((await browser.post(`${t.url}/me/provider-invite/accept`, { token: invite.body.token, providerTermsVersion: PROVIDER_TERMS_AGREED })).status).toBe(201); // again: harmless
    const inviteEvents = await events(`provider-invite-${invite.body.inviteId}`);
    expect(inviteEvents.map((e) => [e.type, e.metadata.actorId])).toEqual([
      ['ProviderInviteIssued', admin.id],
      ['ProviderInviteAccepted', id],
    ]);
    expect(stored(inviteEvents)).not.toContain(invite.body.token);
    expect(stored(inviteEvents)).not.toContain('gpu-owner');
    expect((await events(`account-${id}`)).find((e) => e.type === 'RoleGranted')?.data).toMatchObject({ role: 'provider' });
    provider = { id, browser, email };
  });

  it('registration → approval → heartbeats → requests spread over both nodes, streamed through real agents', async () => {
    for (let i = 0; i < 2; i++) {
      engines.push(await startEngine({ models: [MODEL, 'another-model'], name: `engine-${i}` }));
      const port = await freePort();
      const res = await provider.browser.post(`${t.url}/provider/nodes`, {
        name: `rig-${i}`,
        endpointUrl: `http://127.0.0.1:${port}`,
        models: [{ id: MODEL, contextLength: i === 0 ? 8192 : 4096 }],
        gpuModel: 'RTX 4090',
        gpuMemoryGb: 24,
        region: 'eu-west',
      });
      expect(res.status).toBe(201);
      expect(res.body.token).toMatch(NODE_TOKEN);
      expect(res.headers.get('cache-control')).toBe('no-store');
      nodes.push({ nodeId: res.body.nodeId, token: res.body.token, port });
      const registered = (await events(`node-${res.body.nodeId}`))[0];
      expect(registered).toMatchObject({ type: 'NodeRegistered', metadata: { actorId: provider.id } });
      expect(stored([registered])).not.toContain(res.body.token);
      await startAgent(i);
    }
    expect(agents.map((a) => a!.status())).toEqual([
      expect.objectContaining({ engineReachable: true, lastHeartbeatOk: true, nodeStatus: 'pending' }),
      expect.objectContaining({ engineReachable: true, lastHeartbeatOk: true, nodeStatus: 'pending' }),
    ]);
    await t.caughtUp();
    // Pending nodes get no traffic.
    await expect(dispatcher.dispatch(MODEL, async () => ({ status: 200 }))).rejects.toMatchObject({ code: 'model_not_found' });

    for (const n of nodes) expect((await admin.browser.post(`${t.url}/admin/nodes/${n.nodeId}/approve`)).status).toBe(204);
    expect((await events(`node-${nodes[0].nodeId}`)).find((e) => e.type === 'NodeApproved')?.metadata.actorId).toBe(admin.id);
    await t.caughtUp();
    await waitFor(async () => (await chat().catch(() => null)) !== null, 3_000, 'the approved nodes to be routable');

    engines.forEach((e) => (e.chunkDelayMs = 5)); // hold requests open so they overlap
    const results = await Promise.all(Array.from({ length: 24 }, () => chat()));
    engines.forEach((e) => (e.chunkDelayMs = 0));
    for (const r of results) {
      expect(r.text).toContain('"content":" engine"');
      expect(r.text).toContain('"usage":{"prompt_tokens":7');
      expect(r.text.endsWith('data: [DONE]\n\n')).toBe(true);
    }
    const perNode = nodes.map((n) => results.filter((r) => r.nodeId === n.nodeId).length);
    expect(perNode[0] + perNode[1]).toBe(24);
    expect(Math.min(...perNode)).toBeGreaterThanOrEqual(4);
    // The engines never see the gateway's credential (the agent does not pass it on).
    expect(engines.flatMap((e) => e.authorizations).every((a) => a === undefined)).toBe(true);

    await waitFor(async () => (await nodeView(provider.browser, nodes[0].nodeId)).online === true, 2_000, 'the provider view to show the node online');
    const view = await nodeView(provider.browser, nodes[0].nodeId);
    expect(view).toMatchObject({ id: nodes[0].nodeId, status: 'approved', online: true, modelsReady: [MODEL, 'another-model'], gpuModel: 'RTX 4090', errors: 0 });
    expect(view.requestsServed).toBeGreaterThan(0);
    expect(Date.now() - Date.parse(view.lastHeartbeatAt)).toBeLessThan(1_000);
    expect(JSON.stringify(view)).not.toContain(nodes[0].token);
  });

  it('killing an engine fails requests over to the other node before the first byte: the caller sees no error', async () => {
    let failedOver = 0;
    for (let round = 0; round < 5 && failedOver === 0; round++) {
      await waitFor(async () => (await nodeView(provider.browser, nodes[0].nodeId)).modelsReady.includes(MODEL), 2_000, 'engine 0 to be ready');
      await engines[0].kill();
      const results = await Promise.all(Array.from({ length: 6 }, () => chat()));
      for (const r of results) {
        expect(r.nodeId).toBe(nodes[1].nodeId);
        expect(r.text.endsWith('data: [DONE]\n\n')).toBe(true);
      }
      failedOver += results.filter((r) => r.attempts > 1).length;
      await engines[0].revive();
    }
    expect(failedOver).toBeGreaterThan(0);
    // The agent reports its dead engine's models as not ready, so the router stops trying it at all.
    expect((await nodeView(provider.browser, nodes[0].nodeId)).errors).toBeGreaterThan(0);
  });

  it('a node that stops heartbeating goes offline (recorded by the sweep) and gets no traffic; it comes back with its heartbeats', async () => {
    await agents[1]!.stop();
    agents[1] = null;
    const offline = await waitFor(async () => (await events(`node-${nodes[1].nodeId}`)).find((e) => e.type === 'NodeWentOffline'), 5_000, 'NodeWentOffline');
    expect(offline.metadata.actorId).toBe('system:node-sweep');
    expect(offline.data.lastHeartbeatAt).toEqual(expect.any(String));
    // Node 0 may still rest after the failures of the previous test (cooldown); wait until it takes traffic.
    await waitFor(
      () =>
        chat().then(
          () => true,
          () => false,
        ),
      5_000,
      'node 0 to take traffic again',
    );
    for (let i = 0; i < 8; i++) expect((await chat()).nodeId).toBe(nodes[0].nodeId);
    expect((await nodeView(provider.browser, nodes[1].nodeId)).online).toBe(false);

    await startAgent(1); // the agent restarts: same token, same address
    await waitFor(async () => (await events(`node-${nodes[1].nodeId}`)).filter((e) => e.type === 'NodeCameOnline').length >= 2, 5_000, 'NodeCameOnline again');
    await waitFor(async () => (await chat()).nodeId === nodes[1].nodeId, 3_000, 'traffic on the node again');
  });

  it('an agent refuses any request without the gateway credentials for its node', async () => {
    const agentUrl = `http://127.0.0.1:${nodes[0].port}`;
    const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
    const attempt = (headers: Record<string, string>, path = '/v1/chat/completions', method = 'POST') =>
      request(`${agentUrl}${path}`, { method: method as 'POST', headers: { 'content-type': 'application/json', ...headers }, body: method === 'POST' ? body : undefined }).then(
        async (r) => ({
          status: r.statusCode,
          body: (await r.body.json()) as { error: { code: string } },
        }),
      );
    const before = engines[0].requests;
    const snapshot = await t.app.get(NodeRegistry).snapshot();
    const secretOfOtherNode = snapshot.byId.get(nodes[1].nodeId)!.proxySecret;
    for (const headers of [
      {} as Record<string, string>,
      { authorization: `Bearer ${nodes[0].token}` },
      { authorization: `Bearer ${secretOfOtherNode}` },
      { authorization: 'Bearer ' },
    ]) {
      const refused = await attempt(headers);
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('gateway_credentials_required');
    }
    expect((await attempt({}, '/v1/models', 'GET')).status).toBe(401);
    const own = snapshot.byId.get(nodes[0].nodeId)!.proxySecret;
    expect((await attempt({ authorization: `Bearer ${own}` }, '/metrics', 'GET')).status).toBe(404);
    expect((await attempt({ authorization: `Bearer ${own}` }, '/v1/models', 'GET')).status).toBe(200);
    expect(engines[0].requests).toBe(before);
    // The gateway also refuses heartbeats without a valid node token.
    const hb = await request(`${t.url}/nodes/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${nodes[0].token.slice(0, -1)}${nodes[0].token.endsWith('X') ? 'Y' : 'X'}`, 'content-type': 'application/json' },
      body: '{"models":[]}',
    });
    expect(hb.statusCode).toBe(401);
    await hb.body.dump();
  });

  it('providers see and manage only their own nodes', async () => {
    const email = 'other-provider@example.com';
    const other = newBrowser();
    await register(other, t.url, email, PASSWORD);
    const invite = await admin.browser.post(`${t.url}/admin/provider-invites`, { email });
    expect((await other.post(`${t.url}/me/provider-invite/accept`, { token: invite.body.token, providerTermsVersion: PROVIDER_TERMS_AGREED })).status).toBe(201);
    expect((await other.get(`${t.url}/provider/nodes`)).body).toEqual([]);
    const mine = (await provider.browser.get(`${t.url}/provider/nodes`)).body as { id: string }[];
    expect(mine.map((n) => n.id).sort()).toEqual(nodes.map((n) => n.nodeId).sort());
    const id = nodes[0].nodeId;
    const missing = await other.get(`${t.url}/provider/nodes/NoSuchNode00`);
    for (const res of [
      await other.get(`${t.url}/provider/nodes/${id}`),
      await other.request('PUT', `${t.url}/provider/nodes/${id}/models`, { models: ['stolen'] }),
      await other.post(`${t.url}/provider/nodes/${id}/retire`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('node_not_found');
      expect(res.body.detail).toBe(missing.body.detail);
    }
    expect((await events(`node-${id}`)).some((e) => e.type === 'NodeRetired' || e.type === 'NodeModelsUpdated')).toBe(false);
    const developer = newBrowser();
    await register(developer, t.url, 'just-a-dev@example.com', PASSWORD);
    expect((await developer.get(`${t.url}/provider/nodes`)).status).toBe(403);
  });

  it('GET /v1/models lists only models with a live approved node; retired node tokens stop working', async () => {
    // A third node, approved, whose agent never runs: its model is not listed.
    const lonely = await provider.browser.post(`${t.url}/provider/nodes`, { name: 'lonely', endpointUrl: 'http://127.0.0.1:9', models: ['lonely-model'] });
    expect(lonely.status).toBe(201);
    expect((await admin.browser.post(`${t.url}/admin/nodes/${lonely.body.nodeId}/approve`)).status).toBe(204);
    const accounts = t.app.get(AccountsService);
    const devId = await accounts.findIdByEmail('stranger@example.com');
    const { key } = await t.app.get(ApiKeysService).issue(devId!, { name: 'models' }, { actorId: devId!, occurredAt: new Date().toISOString() });
    await t.caughtUp();
    const expected = { object: 'list', data: [{ id: MODEL, object: 'model', created: 0, owned_by: 'tollgate', context_length: 4096 }] };
    const listModels = async () => {
      const res = await request(`${t.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.statusCode).toBe(200);
      return res.body.json();
    };
    // The catalog answers from a 1 s cache: wait until it has seen the third node's approval.
    await waitFor(async () => (await t.app.get(NodeRegistry).reload()).byId.get(lonely.body.nodeId)?.status === 'approved', 2_000, 'the registry to see the third node');
    const list = await waitFor(
      async () => {
        const body = await listModels();
        return JSON.stringify(body) === JSON.stringify(expected) ? body : null;
      },
      3_000,
      'the model list',
    );
    // Only the live model, at the smallest context among its live nodes (8192 and 4096); never the lonely one.
    expect(list).toEqual(expected);
    const anonymous = await request(`${t.url}/v1/models`);
    expect(anonymous.statusCode).toBe(401);
    expect(((await anonymous.body.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');

    expect((await provider.browser.post(`${t.url}/provider/nodes/${lonely.body.nodeId}/retire`)).status).toBe(204);
    const hb = await request(`${t.url}/nodes/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${lonely.body.token}`, 'content-type': 'application/json' },
      body: '{"models":[]}',
    });
    expect(hb.statusCode).toBe(403);
    await hb.body.dump();
  });

  it('prices are versioned with an effective time, audited, public; a future price does not apply before its time', async () => {
    const now = Date.now();
    const v1 = await admin.browser.post(`${t.url}/admin/prices`, { model: MODEL, inputMicroUsdPerMTok: '150000', outputMicroUsdPerMTok: '600000' });
    expect(v1.status).toBe(201);
    expect(v1.body).toMatchObject({ version: 1, inputMicroUsdPerMTok: '150000' });
    const effectiveAt = new Date(now + 60_000).toISOString();
    const v2 = await admin.browser.post(`${t.url}/admin/prices`, {
      model: MODEL,
      inputMicroUsdPerMTok: '200000',
      outputMicroUsdPerMTok: '800000',
      perImageMicroUsd: '40000',
      effectiveAt,
    });
    expect(v2.body).toMatchObject({ version: 2, effectiveAt });
    expect(
      (
        await admin.browser.post(`${t.url}/admin/prices`, {
          model: MODEL,
          inputMicroUsdPerMTok: '1',
          outputMicroUsdPerMTok: '1',
          effectiveAt: new Date(now - 60_000).toISOString(),
        })
      ).body.code,
    ).toBe('invalid_effective_time');
    expect((await admin.browser.post(`${t.url}/admin/prices`, { model: MODEL, inputMicroUsdPerMTok: 0.15, outputMicroUsdPerMTok: '1' })).status).toBe(400);
    expect((await provider.browser.post(`${t.url}/admin/prices`, { model: MODEL, inputMicroUsdPerMTok: '1', outputMicroUsdPerMTok: '1' })).status).toBe(403);
    const priceEvents = await store.readStream(`model-price-${Buffer.from(MODEL).toString('base64url')}`);
    expect(priceEvents.map((e) => e.metadata.actorId)).toEqual([admin.id, admin.id]);

    await t.caughtUp();
    const book = t.app.get(PriceBook);
    await waitFor(async () => (await book.priceAt(MODEL, new Date(Date.parse(effectiveAt))))?.version === 2, 2_000, 'the price book to have version 2');
    expect(await book.priceAt(MODEL, new Date())).toEqual({
      model: MODEL,
      inputMicroUsdPerMTok: 150_000n,
      outputMicroUsdPerMTok: 600_000n,
      perImageMicroUsd: null,
      effectiveAt: v1.body.effectiveAt,
      version: 1,
    });
    expect((await book.priceAt(MODEL, new Date(Date.parse(effectiveAt) - 1)))?.version).toBe(1);
    expect(await book.priceAt(MODEL, new Date(Date.parse(effectiveAt)))).toMatchObject({ version: 2, inputMicroUsdPerMTok: 200_000n, perImageMicroUsd: 40_000n });
    expect(await book.priceAt(MODEL, new Date(now - 3_600_000))).toBeNull();
    expect(await book.priceAt('unpriced-model', new Date())).toBeNull();

    const pricing = await newBrowser().get(`${t.url}/pricing`);
    expect(pricing.status).toBe(200);
    expect(pricing.body.data).toEqual([
      expect.objectContaining({
        model: MODEL,
        version: 1,
        inputMicroUsdPerMTok: '150000',
        inputUsdPerMTok: '0.15',
        outputUsdPerMTok: '0.6',
        scheduled: [expect.objectContaining({ version: 2, effectiveAt, perImageUsd: '0.04' })],
      }),
    ]);
  });
});
