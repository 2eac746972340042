import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { CreditHolds } from '../../src/ledger/spending/credit-holds';
import { positionKey } from '../../src/ledger/spending/position-key';
import { RateLimiter } from '../../src/inference/gateway/rate-limiter';
import { hashSlot } from '../../src/platform/redis/hash-slots';
import { primaries } from '../../src/platform/redis/redis-client';
import { openTestRedis, testRedisIsCluster } from '../support/redis';

const pos = (n: number) => positionKey({ commit: BigInt(n), prepare: BigInt(n) });

/**
 * The point of the hash tags: every Lua script of the app runs on a Redis Cluster without
 * CROSSSLOT, and the accounts' data is still spread over the primaries. On one server (npm test)
 * it runs the same scripts; `npm run test:cluster` runs it on a 3-primary cluster.
 */
describe(`Redis scripts on ${testRedisIsCluster ? 'a 3-primary cluster' : 'one server'}`, () => {
  let redis: Redis;
  const prefix = `tg:test-cluster-${randomUUID().slice(0, 8)}:`;

  beforeAll(() => {
    redis = openTestRedis();
  });
  afterAll(() => redis.quit());

  it('credit holds (reserve, settle, apply, seed, peek, release) and the rate limiter run for 60 accounts; their keys land on every primary', async () => {
    const holds = new CreditHolds(redis, prefix, { reservationTtlMs: 60_000, feederMaxLagMs: 60_000, idleMs: 60_000 });
    const limiter = new RateLimiter(redis, prefix, { requestsPerMinute: 100, tokensPerMinute: 10_000, concurrentStreams: 2, streamSlotTtlMs: 60_000 });
    await holds.storeFeederPosition(pos(10), false);
    const accounts = Array.from({ length: 60 }, () => randomUUID());
    const started = Date.now();
    // Seeds first: an applied event raises the feeder's position, after which a seed at 10 is (rightly) stale.
    for (const a of accounts) expect(await holds.seed(a, 1_000n, pos(10))).toBe('seeded');
    for (const a of accounts) {
      expect((await holds.reserve(a, 'h1', 300n)).status).toBe('held');
      expect(await holds.settle(a, 'h1', 200n, pos(11))).toBe('pending');
      expect(await holds.apply(a, pos(11), -200n, 'h1')).toBe(true);
      expect((await holds.reserve(a, 'h2', 5n)).status).toBe('held');
      expect(await holds.release(a, 'h2')).toBe(5n);
      expect(await holds.peek(a)).toEqual({ balanceMicroUsd: 800n, heldMicroUsd: 0n });
      const took = await limiter.take({ keyId: 'k1', accountId: a, requestsPerMinute: 10, tokensPerMinute: 1_000, tokens: 10, streamId: 's1' });
      expect(took.allowed).toBe(true);
      await limiter.release(a, 's1');
    }
    const ms = Date.now() - started;
    // Where the accounts' keys went: per primary (one on a single server).
    const nodes = await primaries(redis);
    const perNode = await Promise.all(nodes.map(async (node) => (await node.keys(`${prefix}*`)).length));
    const slots = new Set(accounts.map((a) => hashSlot(holds.keys(a)[0])));
    console.log(
      `${testRedisIsCluster ? 'cluster' : 'one server'}: 60 accounts × 8 script calls in ${ms} ms, no CROSSSLOT; ` +
        `credit keys in ${slots.size} slots; keys per primary: ${perNode.join(' / ')}`,
    );
    if (testRedisIsCluster) {
      expect(perNode.every((n) => n > 0)).toBe(true);
      for (const a of accounts) expect(new Set(holds.keys(a).map(hashSlot)).size).toBe(1);
    }
    for (const node of nodes) await Promise.all((await node.keys(`${prefix}*`)).map((k) => node.del(k)));
  });
});
