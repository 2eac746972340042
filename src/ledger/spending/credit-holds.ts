import Redis from 'ioredis';
import { hashSlot, spreadTags } from '../../platform/redis/hash-slots';
import { isCluster } from '../../platform/redis/redis-client';
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

/**
 * On a Redis Cluster, APPLY and SEED read the feeder's position in the same script as the
 * account's keys, so the position is kept once per group of accounts, in the group's hash slot:
 * accounts are spread over this many groups (whose tags are spread evenly over the slots), and
 * the feeder writes its position to every group (see BalanceFeeder). One server needs no groups.
 */
export const CLUSTER_CREDIT_GROUPS = 64;
const GROUP_TAGS = spreadTags('cr', CLUSTER_CREDIT_GROUPS);

/** The Lua scripts as typed calls; one round trip each (ioredis sends EVALSHA, loading on first use). */
export class CreditHolds {
  private readonly redis: RedisWithHolds;
  /** Where the feeder's position is kept (see credit-holds.lua.ts): one key, or one per group on a cluster. */
  readonly feederKeys: string[];
  private readonly cluster: boolean;

  /** `prefix` (REDIS_KEY_PREFIX) lets deployments, or test runs, share one Redis. */
  constructor(
    redis: Redis,
    private readonly prefix: string,
    readonly timings: HoldTimings = DEFAULT_HOLD_TIMINGS,
  ) {
    this.cluster = isCluster(redis);
    this.feederKeys = this.cluster ? GROUP_TAGS.map((tag) => `${prefix}credits:{${tag}}:feeder`) : [`${prefix}credits:feeder`];
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

  /** The feeder's position as stored: the highest of the groups' (null: none stored, Redis was emptied). */
  async feederPosition(): Promise<string | null> {
    const stored = (await Promise.all(this.feederKeys.map((key) => this.redis.get(key)))).filter((v): v is string => v !== null);
    return stored.length === 0 ? null : stored.reduce((a, b) => (a > b ? a : b));
  }

  /**
   * Sets the feeder's position where none is stored (`onlyIfMissing`), or everywhere (tests).
   * → whether every key was set by this call.
   */
  async storeFeederPosition(position: string, onlyIfMissing = true): Promise<boolean> {
    const set = await Promise.all(this.feederKeys.map((key) => (onlyIfMissing ? this.redis.set(key, position, 'NX') : this.redis.set(key, position))));
    return set.every((reply) => reply === 'OK');
  }

  /** Tests: as if Redis had been emptied of the feeder's position. */
  async forgetFeederPosition(): Promise<void> {
    await Promise.all(this.feederKeys.map((key) => this.redis.del(key)));
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
      this.feederKeyOf(accountId),
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
    return this.redis.tgCreditsSeed(...this.keys(accountId), this.feederKeyOf(accountId), balanceMicroUsd.toString(), position, this.timings.idleMs);
  }

  async peek(accountId: string, now = Date.now()): Promise<{ balanceMicroUsd: bigint; heldMicroUsd: bigint } | null> {
    const [seeded, bal, held] = await this.redis.tgCreditsPeek(...this.keys(accountId), now);
    return seeded === 1 ? { balanceMicroUsd: BigInt(bal), heldMicroUsd: BigInt(held) } : null;
  }

  /**
   * The braces make both keys (and the feeder's position) one Redis Cluster slot: the account's
   * own on one server (the names as before clusters), its group's on a cluster.
   */
  keys(accountId: string): [string, string] {
    const base = this.cluster ? `${this.prefix}credits:{${groupTag(accountId)}}:${accountId}` : `${this.prefix}credits:{${accountId}}`;
    return [base, `${base}:exp`];
  }

  private feederKeyOf(accountId: string): string {
    return this.cluster ? `${this.prefix}credits:{${groupTag(accountId)}}:feeder` : this.feederKeys[0];
  }
}

function groupTag(accountId: string): string {
  return GROUP_TAGS[hashSlot(accountId) % CLUSTER_CREDIT_GROUPS];
}
