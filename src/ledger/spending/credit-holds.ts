import Redis from 'ioredis';
import { APPLY, PEEK, RELEASE, RESERVE, SEED, SETTLE } from './credit-holds.lua';

export interface HoldTimings {
  /** A reservation's life (CREDIT_HOLD_TTL_MS): longer than any request, and the recovery of its charge, may take. */
  reservationTtlMs: number;
  /** A settled charge never expires; one still waiting for the feeder after this long pauses spending on its account (CREDIT_FEEDER_MAX_LAG_MS). */
  feederMaxLagMs: number;
  /** How long an idle account stays cached. */
  idleMs: number;
}

export const DEFAULT_HOLD_TIMINGS: HoldTimings = { reservationTtlMs: 15 * 60_000, feederMaxLagMs: 5 * 60_000, idleMs: 7 * 24 * 3_600_000 };

export type ReserveOutcome = { status: 'held' | 'insufficient'; balanceMicroUsd: bigint; heldMicroUsd: bigint } | { status: 'not_cached' } | { status: 'feeder_lagging' };

/** 'clamped': the cost exceeded the open reservation and only the reservation is held. */
export type SettleOutcome = 'pending' | 'applied' | 'included' | 'clamped';

interface HoldCommands {
  tgCreditsReserve(
    hash: string,
    exp: string,
    now: number,
    holdId: string,
    amount: string,
    ttlMs: number,
    idleMs: number,
    feederMaxLagMs: number,
  ): Promise<[number, string, string]>;
  tgCreditsSettle(hash: string, exp: string, now: number, holdId: string, cost: string, position: string, idleMs: number): Promise<SettleOutcome>;
  tgCreditsRelease(hash: string, exp: string, now: number, holdId: string): Promise<string>;
  tgCreditsApply(hash: string, exp: string, feeder: string, now: number, position: string, delta: string, holdId: string, markerTtlMs: number, idleMs: number): Promise<number>;
  tgCreditsSeed(hash: string, exp: string, feeder: string, balance: string, position: string, idleMs: number): Promise<'seeded' | 'stale' | 'nofeeder'>;
  tgCreditsPeek(hash: string, exp: string, now: number): Promise<[number, string, string]>;
}

type RedisWithHolds = Redis & HoldCommands;

/** The Lua scripts as typed calls; one round trip each (ioredis sends EVALSHA, loading on first use). */
export class CreditHolds {
  private readonly redis: RedisWithHolds;
  /** Where the feeder's position is kept (see credit-holds.lua.ts). */
  readonly feederKey: string;

  /** `prefix` (REDIS_KEY_PREFIX) lets deployments, or test runs, share one Redis. */
  constructor(
    redis: Redis,
    private readonly prefix: string,
    readonly timings: HoldTimings = DEFAULT_HOLD_TIMINGS,
  ) {
    this.feederKey = `${prefix}credits:feeder`;
    const scripts: [keyof HoldCommands, string, number][] = [
      ['tgCreditsReserve', RESERVE, 2],
      ['tgCreditsSettle', SETTLE, 2],
      ['tgCreditsRelease', RELEASE, 2],
      ['tgCreditsApply', APPLY, 3],
      ['tgCreditsSeed', SEED, 3],
      ['tgCreditsPeek', PEEK, 2],
    ];
    for (const [name, lua, numberOfKeys] of scripts) {
      if (!(name in redis)) redis.defineCommand(name, { lua, numberOfKeys });
    }
    this.redis = redis as RedisWithHolds;
  }

  async reserve(accountId: string, holdId: string, amountMicroUsd: bigint, now = Date.now()): Promise<ReserveOutcome> {
    const [status, bal, held] = await this.redis.tgCreditsReserve(
      ...this.keys(accountId),
      now,
      holdId,
      amountMicroUsd.toString(),
      this.timings.reservationTtlMs,
      this.timings.idleMs,
      this.timings.feederMaxLagMs,
    );
    if (status === -1) return { status: 'not_cached' };
    if (status === -2) return { status: 'feeder_lagging' };
    return { status: status === 1 ? 'held' : 'insufficient', balanceMicroUsd: BigInt(bal), heldMicroUsd: BigInt(held) };
  }

  /** `position`: positionKey() of the stored event that charged the hold. */
  settle(accountId: string, holdId: string, costMicroUsd: bigint, position: string, now = Date.now()): Promise<SettleOutcome> {
    return this.redis.tgCreditsSettle(...this.keys(accountId), now, holdId, costMicroUsd.toString(), position, this.timings.idleMs);
  }

  async release(accountId: string, holdId: string, now = Date.now()): Promise<bigint> {
    return BigInt(await this.redis.tgCreditsRelease(...this.keys(accountId), now, holdId));
  }

  async apply(accountId: string, position: string, deltaMicroUsd: bigint, holdId: string | null, now = Date.now()): Promise<boolean> {
    const applied = await this.redis.tgCreditsApply(
      ...this.keys(accountId),
      this.feederKey,
      now,
      position,
      deltaMicroUsd.toString(),
      holdId ?? '',
      this.timings.reservationTtlMs,
      this.timings.idleMs,
    );
    return applied === 1;
  }

  seed(accountId: string, balanceMicroUsd: bigint, position: string): Promise<'seeded' | 'stale' | 'nofeeder'> {
    return this.redis.tgCreditsSeed(...this.keys(accountId), this.feederKey, balanceMicroUsd.toString(), position, this.timings.idleMs);
  }

  async peek(accountId: string, now = Date.now()): Promise<{ balanceMicroUsd: bigint; heldMicroUsd: bigint } | null> {
    const [seeded, bal, held] = await this.redis.tgCreditsPeek(...this.keys(accountId), now);
    return seeded === 1 ? { balanceMicroUsd: BigInt(bal), heldMicroUsd: BigInt(held) } : null;
  }

  /** The braces make both keys one Redis Cluster slot per account. */
  private keys(accountId: string): [string, string] {
    return [`${this.prefix}credits:{${accountId}}`, `${this.prefix}credits:{${accountId}}:exp`];
  }
}
