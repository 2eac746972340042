import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeRegistry } from '../../src/nodes/routing/node-registry';
import { nodeKey } from '../../src/nodes/routing/node-liveness';
import { PricesService } from '../../src/pricing/prices.service';
import { UpstreamProber } from '../../src/upstreams/upstream-prober';
import { startInferenceHarness, InferenceHarness, MODEL, PRICE, ctx } from '../inference/harness';
import { redisContaining, tablesContaining } from '../support/privacy-scan';
import { signInEachRole, SignedIn } from '../support/sign-in';
import { startVendor, VendorStandin } from '../standins/llm-vendor/vendor-standin';
import { openTestRedis } from '../support/redis';

/** Served only by the vendor (under another name there). */
const VENDOR_ONLY = 'tollgate-test/vendor-only';
const KEY_1 = `sk-vendor-${randomUUID().replace(/-/g, '')}`;
const KEY_2 = `sk-vendor-${randomUUID().replace(/-/g, '')}`;
const NODES = {
  heartbeatIntervalMs: 100,
  heartbeatTtlMs: 5_000,
  sweepIntervalMs: 200,
  registryRefreshMs: 50,
  priceRefreshMs: 50,
  cooldownBaseMs: 200,
  cooldownMaxMs: 1_000,
  attemptTimeoutMs: 2_000,
};

describe('upstream API providers as nodes (issue 20)', () => {
  let h: InferenceHarness;
  let vendor: VendorStandin;
  let admin: SignedIn;
  let upstreamId: string;
  const logFile = join(tmpdir(), `tollgate-upstreams-${randomUUID()}.log`);

  beforeAll(async () => {
    vendor = await startVendor({ models: ['vendor/llama-8b', 'vendor/big'], apiKey: KEY_1 });
    h = await startInferenceHarness('upstreams', {
      overrides: {
        logLevel: 'trace',
        logFile,
        nodes: {
          ...NODES,
          upstreams: { probeIntervalMs: 3_600_000, liveTtlMs: 60_000, probeTimeoutMs: 2_000, retryAfterMaxMs: 300_000, preference: 'community_first', preferenceByModel: {} },
        },
      } as never,
    });
    await h.t.app.get(PricesService).set({ model: VENDOR_ONLY, ...PRICE }, ctx());
    ({ admin } = await signInEachRole(h.t.app, h.t.url, 'upstreams'));
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await vendor?.close();
    rmSync(logFile, { force: true });
  });

  const probe = () => h.t.app.get(UpstreamProber).probeAll();
  const usageOf = async (requestId: string) => {
    await h.t.caughtUp();
    const { rows } = await h.t.database.pool.query(`SELECT data FROM events WHERE event_type = 'UsageRecorded' AND data->>'requestId' = $1`, [requestId]);
    return rows[0]?.data as Record<string, unknown> & { postings: { account: string; amountMicroUsd: string }[] };
  };

  it('an admin registers an upstream; the key is never in the answer; others may not', async () => {
    const others = await signInEachRole(h.t.app, h.t.url, 'upstreams2');
    const body = {
      name: 'Vendor A',
      baseUrl: vendor.baseUrl,
      apiKey: KEY_1,
      models: [
        { id: MODEL, vendorModel: 'vendor/llama-8b' },
        { id: VENDOR_ONLY, vendorModel: 'vendor/big' },
      ],
    };
    expect((await others.finance.browser.post(`${h.t.url}/admin/upstreams`, body)).status).toBe(403);
    expect((await others.developer.browser.post(`${h.t.url}/admin/upstreams`, body)).status).toBe(403);
    const bad = await admin.browser.post(`${h.t.url}/admin/upstreams`, { ...body, baseUrl: 'ftp://x' });
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain(KEY_1);
    expect((await admin.browser.post(`${h.t.url}/admin/upstreams`, { ...body, models: [{ id: 'bad model!' }] })).status).toBe(400);
    const res = await admin.browser.post(`${h.t.url}/admin/upstreams`, body);
    expect(res.status).toBe(201);
    expect(res.text).not.toContain(KEY_1);
    expect(res.body).toMatchObject({ name: 'Vendor A', baseUrl: vendor.baseUrl, keyVersion: 1, status: 'active' });
    upstreamId = res.body.id;
    expect(upstreamId).toMatch(/^up_/);
    // Vendor cost: half our price.
    const cost = await admin.browser.post(`${h.t.url}/admin/upstreams/${upstreamId}/costs`, {
      model: VENDOR_ONLY,
      inputMicroUsdPerMTok: '500000',
      outputMicroUsdPerMTok: '1000000',
    });
    expect(cost.status).toBe(201);
    expect(
      (
        await admin.browser.post(`${h.t.url}/admin/upstreams/${upstreamId}/costs`, {
          model: VENDOR_ONLY,
          inputMicroUsdPerMTok: '1',
          outputMicroUsdPerMTok: '1',
          effectiveAt: '2000-01-01T00:00:00Z',
        })
      ).status,
    ).toBe(400);
    const list = await admin.browser.get(`${h.t.url}/admin/upstreams`);
    expect(list.text).not.toContain(KEY_1);
    expect(list.body[0].costs).toHaveLength(1);
    // Audited: the events name the admin.
    const { rows } = await h.t.database.pool.query(`SELECT event_type, metadata FROM events WHERE stream = $1 ORDER BY revision`, [`upstream-${upstreamId}`]);
    expect(rows.map((r) => r.event_type)).toEqual(['UpstreamRegistered', 'UpstreamCostSet']);
    expect(rows[0].metadata.actorId).toBe(admin.accountId);
    await others.developer.browser.post(`${h.t.url}/auth/logout`);
  });

  it("is live only after its probe, then serves through the openai SDK with the vendor's model name, usage asked for", async () => {
    const dev = await h.developer(5n);
    await h.t.app.get(NodeRegistry).reload();
    // Not probed yet: no heartbeat, so not routable.
    await expect(dev.openai.chat.completions.create({ model: VENDOR_ONLY, messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 503 });
    expect(await probe()).toEqual({ [upstreamId]: 'live' });
    expect((await dev.openai.models.list()).data.map((m) => m.id)).toContain(VENDOR_ONLY);

    const served = vendor.served.length;
    const stream = await dev.openai.chat.completions.create({ model: VENDOR_ONLY, messages: [{ role: 'user', content: 'hi' }], stream: true }).withResponse();
    let text = '';
    for await (const chunk of stream.data) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Hi from the vendor.');
    // The client did not ask for usage; the gateway did, and the vendor saw its own model name.
    expect(vendor.served.slice(served)).toEqual([{ model: 'vendor/big', stream: true, includeUsage: true }]);
    const usage = await usageOf(stream.response.headers.get('x-request-id') as string);
    expect(usage).toMatchObject({ nodeId: upstreamId, providerId: null, vendorId: upstreamId, inputTokens: 11, outputTokens: 5, estimated: false, status: 'completed' });
    // $1/$2 per M to the developer, $0.5/$1 per M from the vendor: 21 − 11 = 10 micro-USD of margin.
    console.log('upstream charge:', usage.costMicroUsd, 'vendor cost:', usage.vendorCostMicroUsd, 'postings:', JSON.stringify(usage.postings));
    expect(usage.costMicroUsd).toBe('21');
    expect(usage.vendorCostMicroUsd).toBe('11');
    expect(usage.postings).toEqual([
      { account: `developer:${dev.accountId}`, amountMicroUsd: '21' },
      { account: `vendor:${upstreamId}`, amountMicroUsd: '-11' },
      { account: 'platform:revenue', amountMicroUsd: '-10' },
    ]);

    const plain = await dev.openai.chat.completions.create({ model: VENDOR_ONLY, messages: [{ role: 'user', content: 'hi' }] });
    expect(plain.choices[0].message.content).toBe('Hi from the vendor.');
  });

  it('community first: the node serves a shared model; when it fails the upstream takes over before the first byte', async () => {
    const dev = await h.developer(5n);
    const engine = h.engines[0];
    const before = { engine: engine.requests, vendor: vendor.served.length };
    for (let i = 0; i < 4; i++) await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
    console.log('community_first, 4 requests: engine', engine.requests - before.engine, 'vendor', vendor.served.length - before.vendor);
    expect(engine.requests - before.engine).toBe(4);
    expect(vendor.served.length).toBe(before.vendor);

    engine.failWith = 500;
    try {
      const res = await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      expect(res.data.choices[0].message.content).toBe('Hi from the vendor.');
      expect(vendor.served.at(-1)).toMatchObject({ model: 'vendor/llama-8b' });
      const usage = await usageOf(res.response.headers.get('x-request-id') as string);
      // No vendor cost set for this model: booked as zero, all revenue.
      expect(usage).toMatchObject({ nodeId: upstreamId, vendorId: upstreamId, vendorCostMicroUsd: '0' });
    } finally {
      engine.failWith = null;
    }
  });

  it('upstream first, with a 429: the vendor rests for its Retry-After and the community node takes the overflow', async () => {
    const dev = await h.developer(5n);
    const config = h.t.config.nodes.upstreams;
    config.preferenceByModel[MODEL] = 'upstream_first';
    await h.t.app.get(NodeRegistry).reload();
    const redis = openTestRedis();
    try {
      await redis.del(nodeKey('cooldown', h.nodeIds[0]), nodeKey('failures', h.nodeIds[0]));
      const vendorBefore = vendor.served.length;
      await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
      expect(vendor.served.length).toBe(vendorBefore + 1);

      vendor.rateLimitSeconds = 30;
      const engineBefore = h.engines[0].requests;
      const res = await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
      expect(res.choices[0].message.content).toBe('Hello from the engine.');
      expect(h.engines[0].requests).toBe(engineBefore + 1);
      const pttl = await redis.pttl(nodeKey('cooldown', upstreamId));
      console.log('cooldown after a 429 with Retry-After: 30 (NODE_COOLDOWN_MAX_MS 1000):', pttl, 'ms');
      expect(pttl).toBeGreaterThan(20_000); // far beyond the backoff's own cap: the vendor's word is kept
      // A model only the resting vendor serves: no capacity, nothing charged.
      await expect(dev.openai.chat.completions.create({ model: VENDOR_ONLY, messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 503 });
      // Lift it: with no vendor answering 429 the upstream is preferred again.
      vendor.rateLimitSeconds = null;
      await redis.del(nodeKey('cooldown', upstreamId), nodeKey('failures', upstreamId));
      const vendorAfter = vendor.served.length;
      await dev.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
      expect(vendor.served.length).toBe(vendorAfter + 1);
    } finally {
      vendor.rateLimitSeconds = null;
      delete config.preferenceByModel[MODEL];
      await h.t.app.get(NodeRegistry).reload();
      await redis.quit();
    }
  });

  it("maps a vendor's error shapes to ours and never hands the client a vendor's refusal of our key", async () => {
    const dev = await h.developer(5n);
    vendor.refuseWith = 'temperature must be at most 2';
    try {
      const err = await dev.openai.chat.completions.create({ model: VENDOR_ONLY, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
      expect(err).toMatchObject({ status: 400, code: 'upstream_error' });
      expect(err.message).toContain('temperature must be at most 2');
    } finally {
      vendor.refuseWith = null;
    }
    // The vendor stops accepting our key (revoked on its side): 401 there is our problem, not the client's.
    vendor.apiKey = 'sk-someone-else-entirely';
    try {
      const err = await dev.openai.chat.completions.create({ model: VENDOR_ONLY, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
      expect(err.status).toBe(503);
      expect(JSON.stringify(err.error ?? {})).not.toContain(KEY_1.slice(3, 15));
    } finally {
      vendor.apiKey = KEY_1;
      const redis = openTestRedis();
      await redis.del(nodeKey('cooldown', upstreamId), nodeKey('failures', upstreamId));
      await redis.quit();
    }
  });

  it('rotation: the new key is sent from then on and the old one is gone; neither key is in any table, event, Redis value or log', async () => {
    const dev = await h.developer(5n);
    const rotated = await admin.browser.post(`${h.t.url}/admin/upstreams/${upstreamId}/key`, { apiKey: KEY_2 });
    expect(rotated.status).toBe(201);
    expect(rotated.body.keyVersion).toBe(2);
    expect(rotated.text).not.toContain(KEY_2);
    vendor.apiKey = KEY_2; // the vendor revoked the old key
    const seen = vendor.authorizations.length;
    expect(await probe()).toEqual({ [upstreamId]: 'live' });
    const res = await dev.openai.chat.completions.create({ model: VENDOR_ONLY, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0].message.content).toBe('Hi from the vendor.');
    const after = vendor.authorizations.slice(seen);
    expect(after.length).toBeGreaterThanOrEqual(2);
    expect(after.every((a) => a === `Bearer ${KEY_2}`)).toBe(true);
    await h.t.caughtUp();

    const pool = h.t.database.pool;
    const { rows: creds } = await pool.query(`SELECT key_version, sealed_key FROM upstream_credentials WHERE upstream_id = $1`, [upstreamId]);
    expect(creds.map((c) => c.key_version)).toEqual([2]); // the old key's row is deleted
    expect(creds[0].sealed_key).toMatch(/^sk1\./);
    const needles = [KEY_1, KEY_2, KEY_1.slice(10), KEY_2.slice(10)];
    const inTables = await tablesContaining(pool, needles);
    console.log('tables or events holding a vendor key in clear:', inTables.length);
    expect(inTables).toEqual([]);
    const redis = openTestRedis();
    try {
      expect(await redisContaining(redis, needles)).toEqual([]);
    } finally {
      await redis.quit();
    }
    const logs = readFileSync(logFile, 'utf8');
    expect(logs).toContain('"msg":"inference request"');
    for (const needle of needles) expect(logs).not.toContain(needle);
  });

  it('the ledger shows the vendor payable and the margin, and the trial balance is zero', async () => {
    await h.t.caughtUp();
    const pool = h.t.database.pool;
    const { rows: usage } = await pool.query(
      `SELECT coalesce(sum((data->>'costMicroUsd')::bigint), 0)::text AS charged, coalesce(sum((data->>'vendorCostMicroUsd')::bigint), 0)::text AS vendor, count(*)::int AS n FROM events WHERE event_type = 'UsageRecorded' AND data->>'vendorId' = $1`,
      [upstreamId],
    );
    const tb = await admin.browser.get(`${h.t.url}/finance/trial-balance`);
    expect(tb.status).toBe(200);
    const account = await admin.browser.get(`${h.t.url}/finance/ledger-accounts/${encodeURIComponent(`vendor:${upstreamId}`)}`);
    console.log(
      'upstream requests:',
      usage[0].n,
      'charged:',
      usage[0].charged,
      'vendor payable:',
      usage[0].vendor,
      'trial balance debits/credits:',
      tb.body.debitsMicroUsd ?? tb.body.totals?.debitsMicroUsd,
      tb.body.creditsMicroUsd ?? tb.body.totals?.creditsMicroUsd,
    );
    expect(Number(usage[0].vendor)).toBeGreaterThan(0);
    const { rows: sums } = await pool.query(`SELECT coalesce(sum(amount_micro_usd), 0)::text AS total FROM ledger_postings`);
    expect(sums[0].total).toBe('0');
    const { rows: vendorBalance } = await pool.query(`SELECT balance_micro_usd::text AS b, kind FROM ledger_balances WHERE ledger_account = $1`, [`vendor:${upstreamId}`]);
    expect(vendorBalance[0]).toEqual({ b: `-${usage[0].vendor}`, kind: 'vendor' });
    expect(account.status).toBe(200);
    expect(JSON.stringify(tb.body.byKind)).toContain('vendor');

    // The network view splits traffic and margin between community nodes and upstreams.
    const network = await admin.browser.get(`${h.t.url}/admin/network`);
    expect(network.status).toBe(200);
    const { bySource } = network.body;
    console.log('network view by source:', JSON.stringify(bySource));
    expect(bySource.upstream).toMatchObject({
      requests: usage[0].n,
      spend: { microUsd: usage[0].charged },
      vendorCost: { microUsd: usage[0].vendor },
      margin: { microUsd: String(BigInt(usage[0].charged) - BigInt(usage[0].vendor)) },
    });
    expect(bySource.community.requests).toBeGreaterThan(0);
  });

  it('a retired upstream refuses a new key and keeps no sealed copy of it', async () => {
    const created = await admin.browser.post(`${h.t.url}/admin/upstreams`, {
      name: 'Vendor R',
      baseUrl: vendor.baseUrl,
      apiKey: KEY_1,
      models: [{ id: 'retired-model', vendorModel: 'vendor/r' }],
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await admin.browser.post(`${h.t.url}/admin/upstreams/${id}/retire`, {})).status).toBeLessThan(300);
    const refused = await admin.browser.post(`${h.t.url}/admin/upstreams/${id}/key`, { apiKey: KEY_2 });
    expect([refused.status, refused.body.code]).toEqual([409, 'upstream_retired']);
    const { rows } = await h.t.database.pool.query(`SELECT key_version FROM upstream_credentials WHERE upstream_id = $1`, [id]);
    console.log(`credentials of a retired upstream after a refused rotation: versions ${JSON.stringify(rows.map((r) => r.key_version))}`);
    expect(rows.map((r) => r.key_version)).not.toContain(2);
  });
});
