import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { paymentRequired } from '../../src/platform/errors/domain-error';
import { openAiErrorFrom } from '../../src/platform/http/openai-errors';
import { CreditHolds } from '../../src/ledger/spending/credit-holds';
import { positionKey } from '../../src/ledger/spending/position-key';
import { openTestRedis } from '../support/redis';

const pos = (n: number) => positionKey({ commit: BigInt(n), prepare: BigInt(n) });

describe('credit holds (real Redis, Lua)', () => {
  const clients: Redis[] = [];
  let holds: CreditHolds;
  let prefix: string;

  beforeAll(() => {
    for (let i = 0; i < 4; i++) clients.push(openTestRedis());
  });
  beforeEach(async () => {
    prefix = `tg:test-holds-${randomUUID().slice(0, 8)}:`;
    holds = new CreditHolds(clients[0], prefix, { reservationTtlMs: 60_000, feederMaxLagMs: 60_000, idleMs: 60_000 });
    await holds.storeFeederPosition(pos(10), false);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
  });

  async function seeded(balance: bigint): Promise<string> {
    const accountId = randomUUID();
    expect(await holds.seed(accountId, balance, pos(10))).toBe('seeded');
    return accountId;
  }

  it('200 simultaneous reservations against a balance that covers exactly 20: exactly 20 succeed, and the balance ends ≥ 0', async () => {
    const perRequest = 50_000n;
    const accountId = await seeded(20n * perRequest);
    // Four connections, so the reservations really race inside Redis.
    const perClient = clients.map((c) => new CreditHolds(c, prefix));
    const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => perClient[i % perClient.length].reserve(accountId, `req-${i}`, perRequest)));
    const held = outcomes.map((o, i) => ({ o, i })).filter(({ o }) => o.status === 'held');
    expect(held).toHaveLength(20);
    expect(outcomes.filter((o) => o.status === 'insufficient')).toHaveLength(180);

    // Settle each with its real cost (≤ reserved), then the feeder applies each charge event.
    let p = 10;
    let charged = 0n;
    for (const { i } of held) {
      const cost = perRequest - BigInt(i % 7) * 1_000n;
      charged += cost;
      p++;
      await holds.settle(accountId, `req-${i}`, cost, pos(p));
      await holds.apply(accountId, pos(p), -cost, `req-${i}`);
    }
    const funds = await holds.peek(accountId);
    expect(funds).toEqual({ balanceMicroUsd: 20n * perRequest - charged, heldMicroUsd: 0n });
    expect(funds!.balanceMicroUsd).toBeGreaterThanOrEqual(0n);
  });

  it('a charge counts once whether the feeder applies it before or after the request settles', async () => {
    const a = await seeded(1_000n);
    const b = await seeded(1_000n); // before the feeder moves past the seeds' position
    await holds.reserve(a, 'h1', 600n);
    await holds.settle(a, 'h1', 400n, pos(11)); // settle first: 400 stays held until the feeder
    expect(await holds.peek(a)).toEqual({ balanceMicroUsd: 1_000n, heldMicroUsd: 400n });
    await holds.apply(a, pos(11), -400n, 'h1');
    expect(await holds.peek(a)).toEqual({ balanceMicroUsd: 600n, heldMicroUsd: 0n });

    await holds.reserve(b, 'h2', 600n);
    await holds.apply(b, pos(11), -400n, 'h2'); // feeder first: the reservation is still open
    expect(await holds.peek(b)).toEqual({ balanceMicroUsd: 600n, heldMicroUsd: 600n });
    expect(await holds.settle(b, 'h2', 400n, pos(11))).toBe('applied');
    expect(await holds.peek(b)).toEqual({ balanceMicroUsd: 600n, heldMicroUsd: 0n });
  });

  it('applying an event twice, or an older one, changes nothing', async () => {
    const a = await seeded(1_000n);
    expect(await holds.apply(a, pos(12), 500n, null)).toBe(true);
    expect(await holds.apply(a, pos(12), 500n, null)).toBe(false);
    expect(await holds.apply(a, pos(11), 500n, null)).toBe(false);
    expect(await holds.peek(a)).toEqual({ balanceMicroUsd: 1_500n, heldMicroUsd: 0n });
  });

  it('settling twice holds the cost once; releasing frees the reservation', async () => {
    const a = await seeded(1_000n);
    await holds.reserve(a, 'h1', 300n);
    await holds.settle(a, 'h1', 200n, pos(11));
    await holds.settle(a, 'h1', 200n, pos(11));
    expect(await holds.peek(a)).toEqual({ balanceMicroUsd: 1_000n, heldMicroUsd: 200n });
    await holds.reserve(a, 'h2', 300n);
    expect(await holds.release(a, 'h2')).toBe(300n);
    expect(await holds.release(a, 'h2')).toBe(0n);
    expect(await holds.peek(a)).toEqual({ balanceMicroUsd: 1_000n, heldMicroUsd: 200n });
  });

  it('a reservation whose process died expires on its own', async () => {
    const a = await seeded(1_000n);
    const t0 = Date.now();
    await holds.reserve(a, 'h1', 1_000n, t0);
    expect((await holds.reserve(a, 'h2', 1n, t0 + 1)).status).toBe('insufficient');
    expect((await holds.reserve(a, 'h2', 1n, t0 + 60_001)).status).toBe('held');
    expect(await holds.peek(a, t0 + 60_002)).toEqual({ balanceMicroUsd: 1_000n, heldMicroUsd: 1n });
  });

  it('a settled charge never expires into spendable balance while the feeder lags; past the allowed lag the account refuses new holds until the feeder catches up', async () => {
    const a = await seeded(1_000n);
    const t0 = Date.now();
    await holds.reserve(a, 'h1', 800n, t0);
    await holds.settle(a, 'h1', 700n, pos(11), t0 + 10);
    // Hours later (far past the reservation's life), the spent 700 is still held: only 300 is available.
    const later = t0 + 3 * 3_600_000;
    expect(await holds.peek(a, later)).toEqual({ balanceMicroUsd: 1_000n, heldMicroUsd: 700n });
    // Within the allowed lag (60 s here) spending goes on against what is really left.
    expect((await holds.reserve(a, 'h2', 301n, t0 + 30_000)).status).toBe('insufficient');
    expect((await holds.reserve(a, 'h3', 300n, t0 + 30_000)).status).toBe('held');
    await holds.release(a, 'h3', t0 + 30_001);
    // Past it, every new hold on this account is refused, whatever it asks.
    expect((await holds.reserve(a, 'h4', 1n, t0 + 60_011)).status).toBe('feeder_lagging');
    expect((await holds.reserve(a, 'h4', 1n, later)).status).toBe('feeder_lagging');
    // The feeder brings the charge into the balance: the account converges and spends again.
    await holds.apply(a, pos(11), -700n, 'h1', later);
    expect(await holds.peek(a, later)).toEqual({ balanceMicroUsd: 300n, heldMicroUsd: 0n });
    expect((await holds.reserve(a, 'h4', 300n, later)).status).toBe('held');
  });

  it('never settles more than was reserved: a larger cost is held at the reservation', async () => {
    const a = await seeded(1_000n);
    await holds.reserve(a, 'h1', 100n);
    expect(await holds.settle(a, 'h1', 50_000n, pos(11))).toBe('clamped');
    expect(await holds.peek(a)).toEqual({ balanceMicroUsd: 1_000n, heldMicroUsd: 100n });
    await holds.reserve(a, 'h2', 100n);
    expect(await holds.settle(a, 'h2', 100n, pos(12))).toBe('pending');
    expect(await holds.peek(a)).toEqual({ balanceMicroUsd: 1_000n, heldMicroUsd: 200n });
  });

  it('a seed older than what the feeder passed is refused; a seed drops settled charges it already includes', async () => {
    const a = randomUUID();
    expect((await holds.reserve(a, 'h1', 1n)).status).toBe('not_cached');
    expect(await holds.seed(a, 100n, pos(9))).toBe('stale');
    await holds.forgetFeederPosition();
    expect(await holds.seed(a, 100n, pos(20))).toBe('nofeeder');
    await holds.storeFeederPosition(pos(10), false);
    // Redis was emptied while two requests were settling: one charge (at 11) is already in the PostgreSQL balance, one (at 30) is not.
    await holds.settle(a, 'old', 40n, pos(11));
    await holds.settle(a, 'new', 7n, pos(30));
    expect(await holds.seed(a, 60n, pos(20))).toBe('seeded');
    expect(await holds.peek(a)).toEqual({ balanceMicroUsd: 60n, heldMicroUsd: 7n });
    await holds.apply(a, pos(30), -7n, 'new');
    expect(await holds.peek(a)).toEqual({ balanceMicroUsd: 53n, heldMicroUsd: 0n });
  });
});

describe('running out of credits on /v1', () => {
  it('is HTTP 402 in the OpenAI error shape with code insufficient_quota', () => {
    const error = openAiErrorFrom(paymentRequired('insufficient_credits', 'Not enough credits: 0.10 USD is needed and 0.00 USD is available. Top up to continue.'));
    expect(error.status).toBe(402);
    expect(JSON.parse(error.body.toString())).toEqual({
      error: {
        message: 'Not enough credits: 0.10 USD is needed and 0.00 USD is available. Top up to continue.',
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    });
  });
});
