import { loadConfig } from '../../src/platform/config/config';
import OpenAI from 'openai';
import { projectors } from '../../src/read-models';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { EVENT_STORE, EventStore, Position } from '../../src/platform/event-store/event-store.port';
import { formatUsd } from '../../src/platform/money';
import { CreditsService } from '../../src/ledger/credits.service';
import { BalanceFeeder } from '../../src/ledger/spending/balance-feeder';
import { addToHistogram, emptyHistogram, LATENCY_BOUNDS_MS, percentile } from '../../src/metering/usage-summary';
import { UsageEvent } from '../../src/metering/usage.events';
import { NodeAgent } from '../../src/node-agent/node-agent';
import { ProviderInvitesService } from '../../src/nodes/invites/provider-invites.service';
import { NodesService } from '../../src/nodes/nodes.service';
import { createLogger } from '../../src/platform/observability/logger';
import { PricesService } from '../../src/pricing/prices.service';
import { READ_MODELS_CHECKPOINT } from '../../src/platform/projection-runtime/checkpoint';
import { verifyProjections } from '../../src/platform/projection-runtime/verify';
import { newBrowser, register } from '../auth/auth-app';
import { ctx, InferenceHarness, MODEL, PRICE, startInferenceHarness } from '../inference/harness';
import { EngineStandin, startEngine } from '../standins/gpu-engine/engine-standin';
import { Browser } from '../support/browser';
import { eventually } from '../support/eventually';
import { freePort } from '../support/net';
import { AGREED, PROVIDER_TERMS_AGREED } from '../support/eligibility';
import { signIn } from '../support/sign-in';

const MODEL2 = 'tollgate-test/mistral:7b';
const PASSWORD = 'correct horse battery staple';
type Usage = UsageEvent['data'];

/** What a dashboard should say for these requests, computed here from the events themselves. */
function expected(events: Usage[]) {
  const latency = emptyHistogram();
  for (const e of events) addToHistogram(latency, e.latencyMs);
  const cap = (v: number | null) => (v === null ? null : Math.min(v, LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]));
  const failed = events.filter((e) => e.status === 'upstream_failed').length;
  const cost = events.reduce((s, e) => s + BigInt(e.costMicroUsd), 0n);
  const share = events.reduce((s, e) => s + BigInt(e.providerShareMicroUsd), 0n);
  return {
    requests: events.length,
    upstreamFailed: failed,
    inputTokens: events.reduce((s, e) => s + e.inputTokens, 0),
    outputTokens: events.reduce((s, e) => s + e.outputTokens, 0),
    images: events.reduce((s, e) => s + e.images, 0),
    cost,
    share,
    latencyP50Ms: cap(percentile(latency, 0.5)),
    latencyP95Ms: cap(percentile(latency, 0.95)),
    errorRate: events.length === 0 ? null : Math.round((failed / events.length) * 10_000) / 10_000,
  };
}

function groupBy<K extends string>(events: Usage[], key: (e: Usage) => K): Map<K, Usage[]> {
  const m = new Map<K, Usage[]>();
  for (const e of events) m.set(key(e), [...(m.get(key(e)) ?? []), e]);
  return m;
}

const developerView = (x: ReturnType<typeof expected>) => ({
  requests: x.requests,
  upstreamFailed: x.upstreamFailed,
  inputTokens: x.inputTokens,
  outputTokens: x.outputTokens,
  images: x.images,
  spendMicroUsd: x.cost.toString(),
  spendUsd: formatUsd(x.cost),
  latencyP50Ms: x.latencyP50Ms,
  latencyP95Ms: x.latencyP95Ms,
  errorRate: x.errorRate,
});
const providerView = (x: ReturnType<typeof expected>) => ({
  requests: x.requests,
  upstreamFailed: x.upstreamFailed,
  inputTokens: x.inputTokens,
  outputTokens: x.outputTokens,
  earningsMicroUsd: x.share.toString(),
  earningsUsd: formatUsd(x.share),
  latencyP50Ms: x.latencyP50Ms,
  latencyP95Ms: x.latencyP95Ms,
  errorRate: x.errorRate,
});

describe('dashboards over real /v1 traffic: developer, provider earnings, network', () => {
  let h: InferenceHarness;
  let engineB: EngineStandin;
  let agentB: NodeAgent;
  let providerB: string;
  let nodeB: string;
  let url: string;
  let events: Usage[];
  const devs: { accountId: string; browser: Browser; keys: { keyId: string; openai: OpenAI }[] }[] = [];
  let providerABrowser: Browser;
  let providerBBrowser: Browser;
  let admin: Browser;
  let today: string;

  async function developer(n: number, keys: number) {
    const browser = newBrowser();
    const accountId = await register(browser, url, `dash-dev${n}@example.com`);
    const { position } = await h.t.app.get(CreditsService).grant(accountId, 5_000_000n, 'test credits', ctx());
    await h.t.app.get(BalanceFeeder).waitUntilPassed(position as Position);
    const issued = [];
    for (let i = 0; i < keys; i++) {
      const { key, apiKey } = await h.t.app.get(ApiKeysService).issue(accountId, { name: `key-${n}-${i}`, limits: { requestsPerMinute: 10_000 } }, ctx());
      issued.push({ keyId: apiKey.id, openai: new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0, timeout: 20_000 }) });
    }
    return { accountId, browser, keys: issued };
  }

  const chat = async (openai: OpenAI, model: string, stream: boolean) => {
    try {
      if (!stream) return void (await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }));
      for await (const _ of await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true })) void _;
    } catch {
      // a cut stream: the gateway records it as upstream_failed
    }
  };

  beforeAll(async () => {
    // The checks read one UTC day: near midnight, wait for the next day rather than straddle two.
    const toMidnight = 86_400_000 - (Date.now() % 86_400_000);
    if (toMidnight < 90_000) await new Promise((r) => setTimeout(r, toMidnight + 1_000));
    today = new Date().toISOString().slice(0, 10);
    // No free tier here, so every figure below is what this suite moved (the free tier: P15).
    h = await startInferenceHarness('dashboards', { engines: 2, overrides: { ledger: { ...loadConfig({ NODE_ENV: 'test' }).ledger, freeTierMicroUsd: 0n } } });
    url = h.t.url;
    const app = h.t.app;
    // A second provider serving a second model.
    const accounts = app.get(AccountsService);
    ({ accountId: providerB } = await accounts.register({ email: 'provider-b@example.com', password: PASSWORD, via: 'cli', eligibility: AGREED, roles: [] }, ctx()));
    const invite = await app.get(ProviderInvitesService).issue('provider-b@example.com', ctx());
    await app.get(ProviderInvitesService).accept(providerB, invite.token, ctx(), PROVIDER_TERMS_AGREED);
    await app.get(PricesService).set({ model: MODEL2, inputMicroUsdPerMTok: 3_000_000n, outputMicroUsdPerMTok: 5_000_000n, perImageMicroUsd: PRICE.perImageMicroUsd }, ctx());
    engineB = await startEngine({ models: [MODEL2], name: 'engine-b' });
    const port = await freePort();
    const registered = await app
      .get(NodesService)
      .register(providerB, { name: 'node-b', endpointUrl: `http://127.0.0.1:${port}`, models: [{ id: MODEL2, contextLength: 8_192 }] }, ctx());
    nodeB = registered.nodeId;
    await app.get(NodesService).approve(nodeB, ctx());
    agentB = new NodeAgent({
      gatewayUrl: url,
      nodeToken: registered.token,
      engineUrl: engineB.url,
      engineApiKey: null,
      host: '127.0.0.1',
      port,
      maxConcurrency: 64,
      maxQueue: 256,
      heartbeatIntervalMs: null,
      logger: createLogger('silent'),
    });
    await agentB.start();

    devs.push(await developer(1, 2), await developer(2, 1));
    await h.t.app.get(CreditsService).recordPurchase(devs[0].accountId, { paymentId: 'pay_dash1', orderId: 'order_dash1', amountMicroUsd: 2_500_000n }, ctx());
    await eventually(
      async () => {
        const models = await devs[0].keys[0].openai.models.list();
        if (!models.data.some((m) => m.id === MODEL2)) throw new Error('model 2 not live yet');
      },
      10_000,
      50,
    );
    providerABrowser = await signIn(url, 'provider-dashboards@example.com');
    providerBBrowser = await signIn(url, 'provider-b@example.com');
    await accounts.register({ email: 'dash-admin@example.com', password: PASSWORD, via: 'cli', eligibility: AGREED, roles: ['admin'] }, ctx());
    admin = await signIn(url, 'dash-admin@example.com');

    // Traffic: two models, three keys, two providers; varied latencies; node B cuts some streams.
    const [k1, k2] = devs[0].keys;
    const [k3] = devs[1].keys;
    for (let i = 0; i < 8; i++) {
      for (const e of h.engines) e.chunkDelayMs = i % 4;
      await Promise.all([chat(k1.openai, MODEL, true), chat(k3.openai, MODEL, i % 2 === 0)]);
    }
    for (const e of h.engines) e.chunkDelayMs = 0;
    await k1.openai.embeddings.create({ model: MODEL, input: ['a', 'b'] });
    await k1.openai.images.generate({ model: MODEL, prompt: 'a lighthouse', n: 2 });
    for (let i = 0; i < 5; i++) await chat(k2.openai, MODEL2, false);
    engineB.cutAfterChunks = 2;
    engineB.chunkDelayMs = 5; // the first chunks reach the client, so there is no failover and the request is charged
    for (let i = 0; i < 4; i++) await chat(k2.openai, MODEL2, true);
    await chat(k3.openai, MODEL2, true);
    engineB.cutAfterChunks = null;
    engineB.chunkDelayMs = 0;
    await new Promise((r) => setTimeout(r, 1_200)); // node B's cooldown after the failures
    for (let i = 0; i < 3; i++) await chat(k2.openai, MODEL2, true);
    await chat(k3.openai, MODEL2, false);

    await h.t.caughtUp();
    const { rows } = await h.t.database.pool.query<{ data: Usage }>(`SELECT data FROM events WHERE event_type = 'UsageRecorded' ORDER BY global_position`);
    events = rows.map((r) => r.data);
  }, 240_000);

  afterAll(async () => {
    await agentB?.stop();
    await engineB?.close();
    await h?.close();
  });

  it('the traffic covers what the dashboards must tell apart', () => {
    expect(events.every((e) => e.recordedAt.slice(0, 10) === today)).toBe(true);
    expect(new Set(events.map((e) => e.model))).toEqual(new Set([MODEL, MODEL2]));
    expect(new Set(events.map((e) => e.providerId))).toEqual(new Set([h.providerId, providerB]));
    expect(events.filter((e) => e.status === 'upstream_failed' && e.nodeId === nodeB).length).toBeGreaterThan(0);
    expect(events.filter((e) => e.accountId === devs[1].accountId).length).toBeGreaterThan(0);
  });

  it('GET /me/usage by model, key and day equals the aggregation of the developer’s events, and only theirs', async () => {
    const mine = events.filter((e) => e.accountId === devs[0].accountId);
    for (const [by, key] of [
      ['model', (e: Usage) => e.model],
      ['key', (e: Usage) => e.keyId],
      ['day', () => today],
    ] as const) {
      const res = await devs[0].browser.get(`${url}/me/usage?groupBy=${by}`);
      expect(res.status).toBe(200);
      expect(res.body.period).toMatchObject({ to: today, days: 30 });
      const want = [...groupBy(mine, key)].map(([k, es]) => ({ [by === 'key' ? 'keyId' : by]: k, ...developerView(expected(es)) }));
      expect(res.body.groups).toHaveLength(want.length);
      for (const w of want) expect(res.body.groups).toContainEqual(expect.objectContaining(w));
      expect(res.body.totals).toMatchObject(developerView(expected(mine)));
    }
    const byKey = (await devs[0].browser.get(`${url}/me/usage?groupBy=key&from=${today}&to=${today}`)).body;
    expect(byKey.groups.map((g: { keyName: string }) => g.keyName).sort()).toEqual(['key-1-0', 'key-1-1']);
    const other = (await devs[1].browser.get(`${url}/me/usage?groupBy=model`)).body;
    expect(other.totals).toMatchObject(developerView(expected(events.filter((e) => e.accountId === devs[1].accountId))));
  });

  it('GET /me/dashboard: balance, spend and top-ups in the period', async () => {
    const mine = events.filter((e) => e.accountId === devs[0].accountId);
    const spent = mine.reduce((s, e) => s + BigInt(e.costMicroUsd), 0n);
    const res = await devs[0].browser.get(`${url}/me/dashboard?from=${today}&to=${today}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      period: { from: today, to: today, days: 1 },
      balance: { balanceMicroUsd: (7_500_000n - spent).toString(), heldMicroUsd: '0' },
      spend: { requests: mine.length, amountMicroUsd: spent.toString() },
      topUps: { purchases: { count: 1, amountMicroUsd: '2500000', amountUsd: '2.50' }, grants: { count: 1, amountMicroUsd: '5000000' } },
      spendAgainstBalance: { averageDailySpendMicroUsd: spent.toString(), availableCoversDays: Number((7_500_000n - spent) / spent) },
    });
  });

  it('GET /provider/earnings: each provider sees their own nodes and earnings, never the other’s', async () => {
    for (const [browser, providerId] of [
      [providerABrowser, h.providerId],
      [providerBBrowser, providerB],
    ] as const) {
      const theirs = events.filter((e) => e.providerId === providerId);
      const byNode = (await browser.get(`${url}/provider/earnings?groupBy=node`)).body;
      const want = [...groupBy(theirs, (e) => e.nodeId ?? '')].map(([nodeId, es]) => ({ nodeId, ...providerView(expected(es)) }));
      expect(byNode.groups).toHaveLength(want.length);
      for (const w of want) expect(byNode.groups).toContainEqual(expect.objectContaining(w));
      expect(byNode.totals).toMatchObject(providerView(expected(theirs)));
      const byDay = (await browser.get(`${url}/provider/earnings?from=${today}&to=${today}`)).body;
      expect(byDay.groups).toEqual([expect.objectContaining({ day: today, ...providerView(expected(theirs)) })]);
    }
    const aNodes = (await providerABrowser.get(`${url}/provider/earnings?groupBy=node`)).body.groups.map((g: { nodeId: string }) => g.nodeId);
    expect(aNodes).not.toContain(nodeB);
    expect((await providerBBrowser.get(`${url}/provider/earnings?groupBy=node`)).body.groups.map((g: { nodeId: string }) => g.nodeId)).toEqual([nodeB]);
    expect((await devs[0].browser.get(`${url}/provider/earnings`)).status).toBe(403);
  });

  it('GET /admin/network: live nodes, requests per minute, revenue, top models, node error rates', async () => {
    const res = await admin.get(`${url}/admin/network?from=${today}&to=${today}`);
    expect(res.status).toBe(200);
    const all = expected(events);
    expect(res.body.nodes).toEqual({ live: 3, approved: 3, registered: 3 });
    expect(res.body.requestsPerMinute.last60m).toEqual({ requests: events.length, upstreamFailed: all.upstreamFailed, perMinute: Math.round((events.length / 60) * 100) / 100 });
    expect(res.body.requestsPerMinute.minutes.reduce((s: number, m: { requests: number }) => s + m.requests, 0)).toBe(events.length);
    const platform = all.cost - all.share;
    expect(res.body.revenue.period).toEqual({
      spend: { microUsd: all.cost.toString(), usd: formatUsd(all.cost) },
      providerShare: { microUsd: all.share.toString(), usd: formatUsd(all.share) },
      platform: { microUsd: platform.toString(), usd: formatUsd(platform) },
    });
    expect(res.body.revenue.allTime).toEqual(res.body.revenue.period);
    expect(res.body.revenue.byDay).toEqual([{ day: today, requests: events.length, ...res.body.revenue.period }]);
    const models = [...groupBy(events, (e) => e.model)].map(([model, es]) => ({ model, x: expected(es) })).sort((a, b) => (b.x.cost > a.x.cost ? 1 : -1));
    expect(
      res.body.topModels.map((m: { model: string; requests: number; spend: { microUsd: string }; errorRate: number }) => [m.model, m.requests, m.spend.microUsd, m.errorRate]),
    ).toEqual(models.map((m) => [m.model, m.x.requests, m.x.cost.toString(), m.x.errorRate]));
    const nodes = [
      ...groupBy(
        events.filter((e) => e.nodeId),
        (e) => e.nodeId as string,
      ),
    ];
    expect(res.body.nodeErrorRates).toHaveLength(nodes.length);
    for (const [nodeId, es] of nodes) {
      const x = expected(es);
      expect(res.body.nodeErrorRates).toContainEqual(
        expect.objectContaining({ nodeId, requests: x.requests, upstreamFailed: x.upstreamFailed, errorRate: x.errorRate, latencyP95Ms: x.latencyP95Ms }),
      );
    }
    expect(res.body.nodeErrorRates[0]).toMatchObject({ nodeId: nodeB, providerId: providerB, name: 'node-b' });
    expect((await devs[0].browser.get(`${url}/admin/network`)).status).toBe(403);
    expect((await providerABrowser.get(`${url}/admin/network`)).status).toBe(403);
  });

  it('bad periods and groupBy are a 400 that says what is accepted', async () => {
    const cases: [Browser, string, string, RegExp][] = [
      [devs[0].browser, '/me/usage?from=2026-02-30', 'invalid_period', /calendar day YYYY-MM-DD/],
      [devs[0].browser, '/me/usage?from=2026-03-02&to=2026-03-01', 'invalid_period', /must not be after/],
      [devs[0].browser, '/me/usage?from=2025-01-01&to=2026-01-02', 'invalid_period', /at most 366 days/],
      [devs[0].browser, '/me/usage?from=yesterday', 'invalid_period', /YYYY-MM-DD/],
      [devs[0].browser, '/me/usage?groupBy=node', 'invalid_group_by', /one of day, model, key/],
      [devs[0].browser, '/me/dashboard?to=2026-1-1', 'invalid_period', /YYYY-MM-DD/],
      [providerABrowser, '/provider/earnings?groupBy=model', 'invalid_group_by', /one of day, node/],
      [admin, '/admin/network?from=2020-01-01&to=2026-01-01', 'invalid_period', /366/],
    ];
    for (const [browser, path, code, message] of cases) {
      const res = await browser.get(`${url}${path}`);
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 400, code });
      expect(res.body.detail).toMatch(message);
    }
    expect((await devs[0].browser.get(`${url}/me/usage?from=2025-01-01&to=2026-01-01`)).status).toBe(200); // 366 days
  });

  it('projections:verify is clean after the traffic (live rows = rebuilt rows)', async () => {
    const report = await verifyProjections(h.t.database.db, h.t.app.get<EventStore>(EVENT_STORE), projectors, { checkpointName: READ_MODELS_CHECKPOINT, batchSize: 13 });
    expect(report.tables.filter((t) => t.onlyLive || t.onlyRebuilt)).toEqual([]);
    expect(report.ok).toBe(true);
    const usage = report.tables.find((t) => t.table === 'usage_daily');
    expect(usage?.liveRows).toBeGreaterThan(4);
  });
});
