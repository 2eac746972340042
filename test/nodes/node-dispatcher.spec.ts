import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { DomainError } from '../../src/platform/errors/domain-error';
import { AppConfig, loadConfig } from '../../src/platform/config/config';
import { createLogger } from '../../src/platform/observability/logger';
import { NodeDispatcher, RoutedNode, UpstreamResponse } from '../../src/nodes/routing/node-dispatcher';
import { NodeLiveness, nodeKey } from '../../src/nodes/routing/node-liveness';
import { NodeRegistry, RegistryNode, RegistrySnapshot } from '../../src/nodes/routing/node-registry';
import { EWMA_ALPHA } from '../../src/nodes/routing/router';
import { openTestRedis } from '../support/redis';

/**
 * The dispatcher against the real Redis (shared state), with the node list given directly and
 * `send` written by the test: what is retried, what is not, cooldown and backoff, and two
 * gateway instances seeing each other's in-flight requests.
 */
describe('NodeDispatcher', () => {
  let redis: Redis;
  let liveness: NodeLiveness;
  const config: AppConfig = {
    ...loadConfig({ NODE_ENV: 'test' }),
    nodes: { ...loadConfig({}).nodes, cooldownBaseMs: 200, cooldownMaxMs: 1_000, dispatchMaxAttempts: 3, attemptTimeoutMs: 300 },
  };
  const logger = createLogger('silent');

  beforeAll(() => {
    redis = openTestRedis({ maxRetriesPerRequest: 1 });
    liveness = new NodeLiveness(redis);
  });
  afterAll(async () => {
    await redis.quit();
  });

  /** Fresh random node ids per test: suites share Redis. */
  function cluster(count: number, model = 'm') {
    const nodes: RegistryNode[] = Array.from({ length: count }, (_, i) => ({
      nodeId: randomBytes(6).toString('hex'),
      providerId: `p${i}`,
      name: `n${i}`,
      baseUrl: `http://node-${i}.invalid`,
      status: 'approved',
      models: [model],
      contextLengths: new Map([[model, 4096]]),
      tokenHash: 'h',
      proxySecret: `secret-${i}`,
    }));
    const snapshot: RegistrySnapshot = {
      byId: new Map(nodes.map((n) => [n.nodeId, n])),
      approvedByModel: new Map([[model, nodes]]),
      preferenceByModel: new Map(),
      loadedAtMs: Date.now(),
    };
    const registry = { snapshot: async () => snapshot } as unknown as NodeRegistry;
    const dispatcher = () => new NodeDispatcher(registry, liveness, config, logger);
    const beat = (n: RegistryNode) => liveness.recordHeartbeat(n.nodeId, { at: new Date().toISOString(), models: [model], inFlight: 0, queueDepth: 0 }, 10_000);
    return { nodes, dispatcher, beat };
  }

  const ok = (status = 200): UpstreamResponse => ({ status });
  const cooldownLeft = (nodeId: string) => redis.pttl(nodeKey('cooldown', nodeId));

  it('sends with the node’s credentials; a node that does not answer is rested and another takes the request', async () => {
    const { nodes, dispatcher, beat } = cluster(2);
    await Promise.all(nodes.map(beat));
    const d = dispatcher();
    const seen: RoutedNode[] = [];
    const result = await d.dispatch('m', async (node) => {
      seen.push(node);
      if (seen.length === 1) throw new Error('ECONNREFUSED');
      return ok();
    });
    expect(result.attempts).toBe(2);
    expect(seen.map((n) => n.nodeId).sort()).toEqual(nodes.map((n) => n.nodeId).sort());
    const index = nodes.findIndex((n) => n.nodeId === result.node.nodeId);
    expect(result.node).toEqual({
      nodeId: nodes[index].nodeId,
      providerId: `p${index}`,
      baseUrl: `http://node-${index}.invalid`,
      headers: { authorization: `Bearer secret-${index}` },
    });
    expect(await cooldownLeft(seen[0].nodeId)).toBeGreaterThan(0);
    await d.finish(result.node.nodeId, { ok: true, latencyMs: 20, ttftMs: 5 });
  });

  it('fails over on 5xx and 429 (discarding the body), but returns 4xx answers as they are', async () => {
    const { nodes, dispatcher, beat } = cluster(3);
    await Promise.all(nodes.map(beat));
    const d = dispatcher();
    const statuses = [503, 429, 200];
    let discarded = 0;
    const result = await d.dispatch('m', async () => ({ status: statuses.shift()!, discard: () => discarded++ }));
    expect(result.attempts).toBe(3);
    expect(result.response.status).toBe(200);
    expect(discarded).toBe(2);
    await d.finish(result.node.nodeId, { ok: true, latencyMs: 1, ttftMs: 1 });

    const { nodes: more, dispatcher: d2, beat: beat2 } = cluster(2);
    await Promise.all(more.map(beat2));
    const bad = await d2().dispatch('m', async () => ok(400));
    expect(bad.attempts).toBe(1);
    expect(bad.response.status).toBe(400);
  });

  it('never fails over once the response is handed over: a stream that breaks is reported by finish()', async () => {
    const { nodes, dispatcher, beat } = cluster(2);
    await Promise.all(nodes.map(beat));
    const d = dispatcher();
    let sends = 0;
    const result = await d.dispatch('m', async () => {
      sends++;
      return ok(200); // headers arrived; the caller now streams the body…
    });
    // …and the body breaks after the first bytes: the caller's error, no second node.
    await d.finish(result.node.nodeId, { ok: false, latencyMs: 50, ttftMs: 10 });
    expect(sends).toBe(1);
    expect(result.attempts).toBe(1);
    expect(await cooldownLeft(result.node.nodeId)).toBeGreaterThan(0);
    // The resting node gets no traffic while it rests.
    for (let i = 0; i < 5; i++) {
      const next = await d.dispatch('m', async () => ok());
      expect(next.node.nodeId).not.toBe(result.node.nodeId);
      await d.finish(next.node.nodeId, { ok: true, latencyMs: 1, ttftMs: 1 });
    }
  });

  it('backs off exponentially on failures after each rest, counts failures during a rest once, forgets them after a success', async () => {
    const { nodes, dispatcher, beat } = cluster(1);
    await beat(nodes[0]);
    const d = dispatcher();
    const id = nodes[0].nodeId;
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      await d.finish(id, { ok: false, latencyMs: 1, ttftMs: null });
      waits.push(await cooldownLeft(id));
      await redis.del(nodeKey('cooldown', id)); // the rest is over, and the node fails again
    }
    // 200, 400, 800, then capped at 1,000 ms (PTTL rounds down a little)
    expect(waits[0]).toBeLessThanOrEqual(200);
    expect(waits[1]).toBeGreaterThan(200);
    expect(waits[2]).toBeGreaterThan(400);
    expect(waits[3]).toBeGreaterThan(800);
    expect(waits[3]).toBeLessThanOrEqual(1_000);
    await d.finish(id, { ok: true, latencyMs: 1, ttftMs: 1 });
    // Twelve requests in flight when one incident struck (a dropped tunnel) fail together: one rest, not twelve doublings.
    await Promise.all(Array.from({ length: 12 }, () => d.finish(id, { ok: false, latencyMs: 1, ttftMs: null })));
    const afterIncident = await cooldownLeft(id);
    console.log(`12 failures at once after a success: rest ${afterIncident} ms (the first failure's), failures counted ${await redis.get(nodeKey('failures', id))}`);
    expect(afterIncident).toBeLessThanOrEqual(200);
    expect(afterIncident).toBeGreaterThan(0);
    expect(await redis.get(nodeKey('failures', id))).toBe('1');
  });

  it('times out a node that sends no headers, and gives up after the attempts with upstream_failed', async () => {
    const { nodes, dispatcher, beat } = cluster(2);
    await Promise.all(nodes.map(beat));
    const started = Date.now();
    const error = await dispatcher()
      .dispatch('m', (_node, signal) => new Promise<UpstreamResponse>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ kind: 'unavailable', code: 'upstream_failed' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 300 - 20);
  });

  it('answers model_not_found for a model no node serves, no_capacity when none is live or rested', async () => {
    const { nodes, dispatcher } = cluster(1);
    await expect(dispatcher().dispatch('nobody-serves-this', async () => ok())).rejects.toMatchObject({ kind: 'not_found', code: 'model_not_found' });
    await expect(dispatcher().dispatch('m', async () => ok())).rejects.toMatchObject({ kind: 'unavailable', code: 'no_capacity' }); // no heartbeat
    expect(nodes).toHaveLength(1);
  });

  it('shares in-flight counts between instances: a second gateway avoids the node the first is loading', async () => {
    const { nodes, dispatcher, beat } = cluster(2);
    await Promise.all(nodes.map(beat));
    const a = dispatcher();
    const b = dispatcher();
    for (let i = 0; i < 5; i++) {
      const first = await a.dispatch('m', async () => ok());
      expect(await redis.zcard(nodeKey('inflight', first.node.nodeId))).toBe(1);
      // B has nothing in flight itself, yet sees A's request through Redis and goes to the other node.
      const second = await b.dispatch('m', async () => ok());
      expect(second.node.nodeId).not.toBe(first.node.nodeId);
      await a.finish(first.node.nodeId, { ok: true, latencyMs: 10, ttftMs: 10 });
      await b.finish(second.node.nodeId, { ok: true, latencyMs: 10, ttftMs: 10 });
    }
    expect(await Promise.all(nodes.map((n) => redis.zcard(nodeKey('inflight', n.nodeId))))).toEqual([0, 0]);
  });

  it("spreads a burst whose routing reads all went out before any request chose: each choice counts this instance's requests sent since its read", async () => {
    const { nodes, dispatcher, beat } = cluster(2);
    await Promise.all(nodes.map(beat));
    // The first node answers a little faster on average: alone, it is always the better choice.
    await redis.set(nodeKey('ewma', nodes[0].nodeId), '10', 'PX', 60_000);
    await redis.set(nodeKey('ewma', nodes[1].nodeId), '15', 'PX', 60_000);
    const d = dispatcher();
    // As in the gateway: each request sends its routing read on arrival, and chooses only after its own checks.
    const surveys = await Promise.all(Array.from({ length: 20 }, () => d.survey('m')));
    await Promise.all(surveys.map((s) => s.states));
    const chosen: string[] = [];
    for (const survey of surveys) chosen.push((await d.dispatch('m', async () => ok(), { survey })).node.nodeId);
    const perNode = nodes.map((n) => chosen.filter((id) => id === n.nodeId).length);
    console.log(`a burst of 20 on two nodes (latency averages 10 and 15 ms), every read sent before any choice: ${perNode.join(' / ')}`);
    // Counting only what Redis had when the reads went out, all 20 went to the faster node.
    expect(Math.min(...perNode)).toBeGreaterThanOrEqual(6);
    expect(await Promise.all(nodes.map((n) => redis.zcard(nodeKey('inflight', n.nodeId))))).toEqual(perNode);
    for (const nodeId of chosen) await d.finish(nodeId, { ok: true, latencyMs: 10, ttftMs: 10 });
    expect(await Promise.all(nodes.map((n) => redis.zcard(nodeKey('inflight', n.nodeId))))).toEqual([0, 0]);
  });

  it("keeps each node's bookkeeping in its scripts: leases counted and expired, the latency average, the backoff reset, served", async () => {
    const id = randomBytes(6).toString('hex');
    const now = Date.now();
    await liveness.recordHeartbeat(id, { at: new Date(now).toISOString(), models: ['m'], inFlight: 0, queueDepth: 0 }, 10_000);
    await redis.set(nodeKey('failures', id), '3');
    // A lease left by a crashed instance (expired) is dropped by the next acquire.
    await redis.zadd(nodeKey('inflight', id), now - 1, 'lost');
    await liveness.acquire(id, 'r1', now);
    await liveness.acquire(id, 'r2', now);
    expect((await liveness.read([id], now)).get(id)).toEqual({ alive: true, readyModels: ['m'], inCooldown: false, inFlight: 2, ewmaMs: null });
    expect(await redis.zscore(nodeKey('inflight', id), 'lost')).toBeNull();
    await liveness.recordSuccess(id, 'r1', 100);
    await liveness.recordSuccess(id, 'r2', 200);
    await liveness.startCooldown(id, 5_000);
    const state = (await liveness.read([id, 'unknown-node'], now)).get(id);
    // The average moves by alpha towards each sample: 100, then 100 + alpha × (200 − 100).
    expect(state).toEqual({ alive: true, readyModels: ['m'], inCooldown: true, inFlight: 0, ewmaMs: 100 + EWMA_ALPHA * 100 });
    expect(await redis.exists(nodeKey('failures', id))).toBe(0);
    expect(await redis.hget(nodeKey('stats', id), 'served')).toBe('2');
    expect((await liveness.read(['unknown-node'], now)).get('unknown-node')).toEqual({ alive: false, readyModels: null, inCooldown: false, inFlight: 0, ewmaMs: null });
  });

  it('counts a failure in one script: the lease dropped, an error counted, a rest that doubles, none while resting, a Retry-After kept', async () => {
    const id = randomBytes(6).toString('hex');
    const now = Date.now();
    const backoff = { baseMs: 1_000, maxMs: 8_000, memoryMs: 60_000, retryAfterMs: null };
    await liveness.acquire(id, 'r1', now);
    await liveness.acquire(id, 'r2', now);
    const rests = [await liveness.recordFailure(id, 'r1', backoff)];
    expect(await redis.zrange(nodeKey('inflight', id), '0', '-1')).toEqual(['r2']);
    // The other request of the same incident fails while the node rests: not counted towards the backoff.
    rests.push(await liveness.recordFailure(id, 'r2', backoff));
    expect(await redis.zcard(nodeKey('inflight', id))).toBe(0);
    // A Retry-After longer than the rest lengthens it even while resting.
    rests.push(await liveness.recordFailure(id, null, { ...backoff, retryAfterMs: 30_000 }));
    const cooldownMs = await redis.pttl(nodeKey('cooldown', id));
    await redis.del(nodeKey('cooldown', id));
    rests.push(await liveness.recordFailure(id, null, backoff));
    await redis.del(nodeKey('cooldown', id));
    await redis.set(nodeKey('failures', id), '40');
    rests.push(await liveness.recordFailure(id, null, backoff));
    console.log(`rests ${rests.join(', ')} ms; the cooldown after a 30 s Retry-After: ${cooldownMs} ms`);
    expect(rests).toEqual([1_000, 0, 0, 2_000, 8_000]);
    expect(cooldownMs).toBeGreaterThan(29_000);
    expect(await redis.hget(nodeKey('stats', id), 'errors')).toBe('5');
    expect(await redis.get(nodeKey('failures', id))).toBe('41');
    expect(await redis.pttl(nodeKey('failures', id))).toBeGreaterThan(59_000);
  });
});
