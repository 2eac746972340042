import { randomBytes } from 'node:crypto';
import { refusalMessage } from '../../src/inference/gateway/inference-gateway';
import { vendorUrl } from '../../src/nodes/routing/upstream';
import { RecordUsage, usageChargeDecider } from '../../src/metering/usage-charge.decide';
import { parseLedgerAccount } from '../../src/ledger/ledger-accounts';
import { LiveState, retryAfterMs, routableCandidates, RoutableNode } from '../../src/nodes/routing/router';
import { vendorCostAt } from '../../src/nodes/routing/upstream-route';
import { openWithKey, sealWithKey } from '../../src/platform/security/sealing';
import { upstreamDecider } from '../../src/upstreams/upstream.decide';
import { UpstreamEvent } from '../../src/upstreams/upstream.events';
import { given } from '../support/decider-spec';

const at = '2026-12-05T10:00:00.000Z';
const UP = 'up_AAAAAAAAAAAA';
const registered: UpstreamEvent = {
  type: 'UpstreamRegistered',
  data: { upstreamId: UP, name: 'Vendor', baseUrl: 'https://api.vendor.example/v1', models: [{ id: 'llama3:8b', vendorModel: 'llama-3.1-8b' }], keyVersion: 1, registeredAt: at },
};

describe('upstream decider', () => {
  it("registers once with key version 1; our id equal to the vendor's is stored as no mapping", () => {
    given(upstreamDecider, [])
      .when({
        type: 'RegisterUpstream',
        upstreamId: UP,
        name: ' Vendor ',
        baseUrl: 'https://api.vendor.example/v1',
        models: [
          { id: 'llama3:8b', vendorModel: 'llama-3.1-8b' },
          { id: 'same', vendorModel: 'same' },
        ],
        at,
      })
      .then([
        {
          type: 'UpstreamRegistered',
          data: {
            ...registered.data,
            models: [
              { id: 'llama3:8b', vendorModel: 'llama-3.1-8b' },
              { id: 'same', vendorModel: null },
            ],
          },
        },
      ]);
    given(upstreamDecider, [registered])
      .when({ type: 'RegisterUpstream', upstreamId: UP, name: 'x', baseUrl: 'https://x', models: [{ id: 'a', vendorModel: null }], at })
      .thenRefuses('upstream_exists');
  });

  it('rotation bumps the key version; costs are versioned per model, never retroactive', () => {
    given(upstreamDecider, [registered])
      .when({ type: 'RotateUpstreamKey', at })
      .then([{ type: 'UpstreamKeyRotated', data: { upstreamId: UP, keyVersion: 2, rotatedAt: at } }]);
    const cost = {
      type: 'SetUpstreamCost' as const,
      model: 'llama3:8b',
      inputMicroUsdPerMTok: 50_000n,
      outputMicroUsdPerMTok: 80_000n,
      perImageMicroUsd: null,
      effectiveAt: at,
      at,
    };
    const v1: UpstreamEvent = {
      type: 'UpstreamCostSet',
      data: { upstreamId: UP, model: 'llama3:8b', version: 1, inputMicroUsdPerMTok: '50000', outputMicroUsdPerMTok: '80000', perImageMicroUsd: null, effectiveAt: at, setAt: at },
    };
    given(upstreamDecider, [registered]).when(cost).then([v1]);
    given(upstreamDecider, [registered, v1])
      .when(cost)
      .then([{ type: 'UpstreamCostSet', data: { ...v1.data, version: 2 } }]);
    given(upstreamDecider, [registered])
      .when({ ...cost, effectiveAt: '2026-12-05T09:59:59Z' })
      .thenRefuses('invalid_effective_time');
    given(upstreamDecider, [registered])
      .when({ ...cost, inputMicroUsdPerMTok: -1n })
      .thenRefuses('invalid_cost');
  });

  it('refuses bad model lists, unknown and retired upstreams', () => {
    const reg = { type: 'RegisterUpstream' as const, upstreamId: UP, name: 'V', baseUrl: 'https://v', at };
    given(upstreamDecider, [])
      .when({ ...reg, models: [] })
      .thenRefuses('invalid_models');
    given(upstreamDecider, [])
      .when({
        ...reg,
        models: [
          { id: 'a', vendorModel: null },
          { id: 'a', vendorModel: 'b' },
        ],
      })
      .thenRefuses('invalid_models');
    given(upstreamDecider, [])
      .when({ ...reg, models: [{ id: 'a', vendorModel: 'has space' }] })
      .thenRefuses('invalid_models');
    given(upstreamDecider, []).when({ type: 'RotateUpstreamKey', at }).thenRefuses('upstream_not_found');
    given(upstreamDecider, [registered, { type: 'UpstreamRetired', data: { upstreamId: UP, retiredAt: at } }])
      .when({ type: 'RotateUpstreamKey', at })
      .thenRefuses('upstream_retired');
  });
});

describe('router: community nodes and upstreams', () => {
  const live = (over: Partial<LiveState> = {}): LiveState => ({ alive: true, readyModels: ['m'], inCooldown: false, inFlight: 0, ewmaMs: 100, ...over });
  const nodes: RoutableNode[] = [
    { nodeId: 'n1', status: 'approved', models: ['m'] },
    { nodeId: 'n2', status: 'approved', models: ['m'] },
    { nodeId: UP, status: 'approved', models: ['m'], upstream: true },
  ];
  const ids = (states: Map<string, LiveState>, pref: 'community_first' | 'upstream_first' | 'mixed', tried: string[] = []) =>
    routableCandidates(nodes, states, 'm', new Set(tried), pref).map((c) => c.nodeId);
  const all = new Map(nodes.map((n) => [n.nodeId, live()]));

  it('community first: upstreams only when no community node is live, rested and untried', () => {
    expect(ids(all, 'community_first')).toEqual(['n1', 'n2']);
    expect(ids(all, 'community_first', ['n1', 'n2'])).toEqual([UP]);
    expect(ids(new Map([...all, ['n1', live({ alive: false })], ['n2', live({ inCooldown: true })]]), 'community_first')).toEqual([UP]);
  });
  it('upstream first is the reverse; mixed treats all alike', () => {
    expect(ids(all, 'upstream_first')).toEqual([UP]);
    expect(ids(new Map([...all, [UP, live({ inCooldown: true })]]), 'upstream_first')).toEqual(['n1', 'n2']);
    expect(ids(all, 'mixed')).toEqual(['n1', 'n2', UP]);
  });
  it('reads Retry-After as seconds or an HTTP date, capped; anything else is ignored', () => {
    const now = Date.parse(at);
    expect(retryAfterMs('30', now, 300_000)).toBe(30_000);
    expect(retryAfterMs('0.5', now, 300_000)).toBe(500);
    expect(retryAfterMs('99999', now, 300_000)).toBe(300_000);
    expect(retryAfterMs(new Date(now + 12_000).toUTCString(), now, 300_000)).toBe(12_000);
    expect(retryAfterMs(new Date(now - 12_000).toUTCString(), now, 300_000)).toBe(0);
    for (const bad of [undefined, '', 'soon', '-5', 'x'.repeat(100)]) expect(retryAfterMs(bad, now, 300_000)).toBeNull();
  });
  it('vendor cost in force at an instant, like prices', () => {
    const v = (version: number, effectiveAt: string) => ({
      model: 'm',
      version,
      inputMicroUsdPerMTok: BigInt(version),
      outputMicroUsdPerMTok: 0n,
      perImageMicroUsd: null,
      effectiveAt,
    });
    const route = { upstreamId: UP, vendorModels: new Map(), costs: new Map([['m', [v(1, '2026-01-01T00:00:00.000Z'), v(2, '2026-06-01T00:00:00.000Z')]]]) };
    expect(vendorCostAt(route, 'm', Date.parse('2025-12-31T00:00:00Z'))).toBeNull();
    expect(vendorCostAt(route, 'm', Date.parse('2026-03-01T00:00:00Z'))?.version).toBe(1);
    expect(vendorCostAt(route, 'm', Date.parse('2026-06-01T00:00:00Z'))?.version).toBe(2);
    expect(vendorCostAt(route, 'other', Date.now())).toBeNull();
  });
});

describe('charging a request an upstream served', () => {
  const usage = (over: Partial<RecordUsage> = {}): RecordUsage => ({
    type: 'RecordUsage',
    requestId: 'req_00000001',
    accountId: 'dev1',
    keyId: 'key1',
    model: 'm',
    endpoint: 'chat.completions',
    nodeId: UP,
    providerId: null,
    status: 'completed',
    inputTokens: 10,
    outputTokens: 5,
    images: 0,
    estimated: false,
    ttftMs: 10,
    latencyMs: 20,
    costMicroUsd: 1_000n,
    providerShareBps: 7_000,
    vendorId: UP,
    vendorCostMicroUsd: 600n,
    at,
    ...over,
  });
  const postings = (over: Partial<RecordUsage> = {}) => usageChargeDecider.decide(usage(over), usageChargeDecider.initialState())[0].data.postings;

  it('owes the vendor its cost; revenue is the margin (negative when the vendor costs more); balanced', () => {
    expect(postings()).toEqual([
      { account: 'developer:dev1', amountMicroUsd: '1000' },
      { account: `vendor:${UP}`, amountMicroUsd: '-600' },
      { account: 'platform:revenue', amountMicroUsd: '-400' },
    ]);
    expect(postings({ vendorCostMicroUsd: 1_500n })).toEqual([
      { account: 'developer:dev1', amountMicroUsd: '1000' },
      { account: `vendor:${UP}`, amountMicroUsd: '-1500' },
      { account: 'platform:revenue', amountMicroUsd: '500' },
    ]);
    expect(postings({ costMicroUsd: 0n, vendorCostMicroUsd: 30n })).toEqual([
      { account: `vendor:${UP}`, amountMicroUsd: '-30' },
      { account: 'platform:revenue', amountMicroUsd: '30' },
    ]);
    expect(postings({ vendorCostMicroUsd: 1_000n })).toEqual([
      { account: 'developer:dev1', amountMicroUsd: '1000' },
      { account: `vendor:${UP}`, amountMicroUsd: '-1000' },
    ]);
    const [event] = usageChargeDecider.decide(usage(), usageChargeDecider.initialState());
    expect(event.data).toMatchObject({ vendorId: UP, vendorCostMicroUsd: '600', providerShareMicroUsd: '0' });
    expect(parseLedgerAccount(`vendor:${UP}`)).toEqual({ name: `vendor:${UP}`, kind: 'vendor', ownerId: UP, normalSide: 'credit' });
    expect(parseLedgerAccount('vendor:node1')).toBeNull();
  });
  it('refuses a vendor that is not the node that served, a provider share beside a vendor, and a negative cost', () => {
    const refuses = (over: Partial<RecordUsage>) =>
      expect(() => usageChargeDecider.decide(usage(over), usageChargeDecider.initialState())).toThrow(expect.objectContaining({ code: 'invalid_usage' }));
    refuses({ nodeId: 'node1' });
    refuses({ providerId: 'prov1' });
    refuses({ vendorCostMicroUsd: -1n });
  });
});

describe('at the edge', () => {
  it('seals a key under a derived key, bound to its upstream and version', () => {
    const key = randomBytes(32);
    const sealed = sealWithKey(key, `${UP}.1`, 'sk-secret-123456');
    expect(sealed).not.toContain('sk-secret');
    expect(openWithKey(key, `${UP}.1`, sealed)).toBe('sk-secret-123456');
    expect(() => openWithKey(key, `${UP}.2`, sealed)).toThrow();
    expect(() => openWithKey(randomBytes(32), `${UP}.1`, sealed)).toThrow();
  });
  it('joins vendor base URLs that end in their version', () => {
    expect(vendorUrl('https://api.cerebras.ai/v1', '/v1/chat/completions')).toBe('https://api.cerebras.ai/v1/chat/completions');
    expect(vendorUrl('https://x.example/openai/v1', '/v1/embeddings')).toBe('https://x.example/openai/v1/embeddings');
  });
  it("reads vendors' error shapes and masks anything key-like", () => {
    const vendorNode = {
      nodeId: UP,
      providerId: '',
      baseUrl: 'https://v',
      headers: { authorization: 'Bearer sk-live-abcdefghijklmnop' },
      upstream: { upstreamId: UP, vendorModels: new Map(), costs: new Map() },
    };
    expect(refusalMessage({ error: { message: 'bad temp' } }, null)).toBe('bad temp');
    expect(refusalMessage({ error: 'bad temp' }, vendorNode)).toBe('bad temp');
    expect(refusalMessage({ message: 'bad temp' }, vendorNode)).toBe('bad temp');
    expect(refusalMessage({ detail: 'bad temp' }, vendorNode)).toBe('bad temp');
    expect(refusalMessage({ detail: [{ msg: 'bad temp' }] }, vendorNode)).toBe('bad temp');
    expect(refusalMessage({ nothing: 1 }, vendorNode)).toBeNull();
    const masked = refusalMessage({ error: 'key sk-live-abcdefghijklmnop refused; also sk-live-a****' }, vendorNode) as string;
    console.log('masked vendor message:', masked);
    expect(masked).not.toContain('sk-live-a');
  });
});
