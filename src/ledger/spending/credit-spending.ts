import { setTimeout as sleep } from 'node:timers/promises';
import { Kysely } from 'kysely';
import { paymentRequired, unavailable } from '../../platform/errors/domain-error';
import { Database } from '../../platform/database/schema';
import { Position } from '../../platform/event-store/event-store.port';
import { formatUsd } from '../../platform/money';
import { CreditHolds, SettleOutcome } from './credit-holds';
import { creditsSnapshot } from './credits-snapshot';
import { positionKey } from './position-key';

/** How long a cold account waits for PostgreSQL to catch up with the feeder before giving up (503). */
const SEED_WAIT_MS = 3_000;
const SEED_RETRY_MS = 20;

export interface Funds {
  /** Credits per the ledger, as the cache knows it. */
  balanceMicroUsd: bigint;
  /** Reserved by requests in flight, or charged and not yet in the balance. */
  heldMicroUsd: bigint;
  availableMicroUsd: bigint;
}

/**
 * Two-phase spending of a developer's credits: reserve before the work, then settle with the
 * real cost once the charge event is stored, or release. Redis answers in one round trip; it
 * is a cache of the ledger, filled from PostgreSQL when an account is not in it.
 */
export class CreditSpending {
  /** Reservations refused because the account's settled charges waited too long for the feeder (since start). */
  refusedForFeederLag = 0;

  constructor(
    readonly holds: CreditHolds,
    private readonly db: Kysely<Database>,
  ) {}

  /** Throws 402 insufficient_credits when the available credits do not cover the amount. */
  async reserve(accountId: string, holdId: string, amountMicroUsd: bigint): Promise<Funds> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.holds.reserve(accountId, holdId, amountMicroUsd);
      if (outcome.status === 'feeder_lagging') {
        this.refusedForFeederLag++;
        throw unavailable('credits_feeder_lagging', 'Recent charges on this account are not yet in its balance, so spending is paused until they are. Retry shortly.', 5);
      }
      if (outcome.status === 'not_cached') {
        if (attempt > 0) throw unavailable('credits_unavailable', 'Credit balances are being rebuilt; retry shortly.');
        await this.fill(accountId);
        continue;
      }
      const funds = fundsOf(outcome.balanceMicroUsd, outcome.heldMicroUsd);
      if (outcome.status === 'insufficient') {
        throw paymentRequired(
          'insufficient_credits',
          `Not enough credits: ${formatUsd(amountMicroUsd)} USD is needed and ${formatUsd(funds.availableMicroUsd > 0n ? funds.availableMicroUsd : 0n)} USD is available. Top up to continue.`,
        );
      }
      return funds;
    }
  }

  /** `position`: where the charge event was stored. */
  settle(accountId: string, holdId: string, costMicroUsd: bigint, position: Position): Promise<SettleOutcome> {
    return this.holds.settle(accountId, holdId, costMicroUsd, positionKey(position));
  }

  async release(accountId: string, holdId: string): Promise<void> {
    await this.holds.release(accountId, holdId);
  }

  /**
   * Takes credits away outside metered usage (a refund, a negative correction): the same hold
   * the hot path uses, so it can never overdraw a balance that requests are spending.
   * `record` appends the event; a no-op (already recorded) releases the hold.
   */
  async spend(accountId: string, holdId: string, amountMicroUsd: bigint, record: () => Promise<Position | null>): Promise<void> {
    await this.reserve(accountId, holdId, amountMicroUsd);
    let position: Position | null;
    try {
      position = await record();
    } catch (err) {
      await this.release(accountId, holdId);
      throw err;
    }
    if (position === null) await this.release(accountId, holdId);
    else await this.settle(accountId, holdId, amountMicroUsd, position);
  }

  async funds(accountId: string): Promise<Funds> {
    let cached = await this.holds.peek(accountId);
    if (!cached) {
      await this.fill(accountId);
      cached = await this.holds.peek(accountId);
      if (!cached) throw unavailable('credits_unavailable', 'Credit balances are being rebuilt; retry shortly.');
    }
    return fundsOf(cached.balanceMicroUsd, cached.heldMicroUsd);
  }

  /**
   * Seeds the cache from the balance read model. The balance and the read models' checkpoint
   * come from one statement (one snapshot), so the seed says exactly which events it includes;
   * Redis refuses it while PostgreSQL is behind the feeder, and this waits (bounded).
   */
  private async fill(accountId: string): Promise<void> {
    const deadline = Date.now() + SEED_WAIT_MS;
    for (;;) {
      const { creditsMicroUsd, position } = await creditsSnapshot(this.db, accountId);
      if ((await this.holds.seed(accountId, creditsMicroUsd, positionKey(position))) === 'seeded') return;
      if (Date.now() > deadline) throw unavailable('credits_unavailable', 'Credit balances are catching up; retry shortly.');
      await sleep(SEED_RETRY_MS);
    }
  }
}

function fundsOf(balanceMicroUsd: bigint, heldMicroUsd: bigint): Funds {
  return { balanceMicroUsd, heldMicroUsd, availableMicroUsd: balanceMicroUsd - heldMicroUsd };
}
