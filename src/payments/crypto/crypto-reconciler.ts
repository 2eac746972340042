import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { Kysely } from 'kysely';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { handleCommand, loadAggregate } from '../../platform/event-sourcing/command-handler';
import { CommandContext } from '../../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { creditsDecider } from '../../ledger/credits/credits.decide';
import { creditsStream } from '../../ledger/credits.events';
import { CreditsService } from '../../ledger/credits.service';
import { formatUsd } from '../../platform/money';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { PAYMENT_JOBS } from '../payments.tokens';
import { PaymentJobs } from '../queue/payment-jobs';
import { CcCharge, CcPayment, CoinbaseCommerce, CoinbaseError } from './coinbase-commerce';
import { confirmedMicroUsd, creditFor } from './credit-policy';
import { CryptoChargeCommand, cryptoChargeDecider, CryptoChargeState } from './crypto-charge.decide';
import { CHARGE_CODE, CRYPTO_STREAM_CATEGORY, cryptoChargeStream, CryptoPaymentRef, cryptoPaymentId } from './crypto-charge.events';
import { COINBASE, cryptoEnabled } from './crypto.tokens';

export type ChargeOutcome = 'credited' | 'already_credited' | 'waiting' | 'unresolved' | 'closed' | 'nothing_confirmed' | 'discrepancy';

/** Charges looked up per sweep (newest first); the next sweep continues with what is still open. */
export const CRYPTO_SWEEP_MAX = 500;

/** "25.004999" (Coinbase's local value) → micro-USD, truncated past 6 decimals; anything else counts as 0. */
export function localToMicroUsd(money: { amount: string; currency: string }): bigint {
  const m = /^(\d{1,12})(?:\.(\d{1,30}))?$/.exec(money.amount);
  if (!m || money.currency !== 'USD') return 0n;
  return BigInt(m[1]) * 1_000_000n + BigInt((m[2] ?? '').slice(0, 6).padEnd(6, '0'));
}

/** What we keep of a payment: network and transaction hash, status, USD and crypto value (never addresses). */
export function paymentRef(p: CcPayment): CryptoPaymentRef {
  return {
    network: p.network.slice(0, 40),
    transactionId: p.transaction_id.slice(0, 130),
    status: p.status.slice(0, 20),
    localMicroUsd: localToMicroUsd(p.value.local).toString(),
    cryptoAmount: /^\d{1,30}(\.\d{1,30})?$/.test(p.value.crypto.amount) ? p.value.crypto.amount : '0',
    cryptoCurrency: p.value.crypto.currency.slice(0, 16),
  };
}

/** The charge's status now: its last timeline entry. */
export function currentStatus(charge: CcCharge): { status: string; context: string | null } {
  const last = charge.timeline[charge.timeline.length - 1];
  return { status: last?.status ?? 'NEW', context: typeof last?.context === 'string' ? last.context : null };
}

/**
 * The worker's side of crypto top-ups. Every job starts by asking Coinbase's API for the charge
 * (a webhook or a sweep only says "look at this charge"), so duplicate, reordered and missed
 * webhooks all converge: the credit is decided from the charge alone (credit-policy.ts) and
 * recorded once per charge, in the credits stream first (idempotent by `cc_{code}`) and then
 * in the charge's stream.
 */
@Injectable()
export class CryptoReconciler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(COINBASE) private readonly gateway: CoinbaseCommerce | null,
    @Inject(PAYMENT_JOBS) private readonly jobs: PaymentJobs | null,
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly credits: CreditsService,
  ) {}

  async reconcileCharge(code: string, context: CommandContext): Promise<ChargeOutcome> {
    if (!CHARGE_CODE.test(code)) throw new UnrecoverableError('not a charge code');
    const coinbase = cryptoEnabled(this.gateway);
    const charge = await fetchOrFail(() => coinbase.fetchCharge(code));
    const { state } = await loadAggregate(this.store, cryptoChargeStream(code), cryptoChargeDecider);
    if (!state.chargeCode || !state.accountId) {
      await this.discrepancy(code, 'unknown_charge', null, `${charge.pricing?.local?.amount ?? '?'} ${charge.pricing?.local?.currency ?? '?'}`, context);
      return 'discrepancy';
    }
    const { status, context: statusContext } = currentStatus(charge);
    const payments = charge.payments.map(paymentRef);
    const confirmed = confirmedMicroUsd(payments);
    const after = await this.apply(
      code,
      {
        type: 'ObserveCharge',
        chargeCode: code,
        status,
        context: statusContext,
        confirmedMicroUsd: confirmed,
        payments,
        timelineLength: charge.timeline.length,
        at: context.occurredAt,
      },
      context,
    );
    const price = charge.pricing?.local;
    if (!price || price.currency !== 'USD' || localToMicroUsd(price) !== state.amountMicroUsd) {
      await this.discrepancy(code, 'price_mismatch', `${formatUsd(state.amountMicroUsd)} USD`, price ? `${price.amount} ${price.currency}` : 'none', context);
      return 'discrepancy';
    }
    if (after.credited) {
      if (confirmed > after.credited.amountMicroUsd)
        await this.discrepancy(code, 'paid_after_credit', `${formatUsd(after.credited.amountMicroUsd)} USD credited`, `${formatUsd(confirmed)} USD confirmed`, context);
      return 'already_credited';
    }
    const decision = creditFor({ status, context: statusContext, priceMicroUsd: state.amountMicroUsd, payments });
    if (!decision.credit) {
      if (decision.reason === 'nothing_confirmed') await this.discrepancy(code, 'resolved_without_payment', 'a confirmed payment', `${status} with nothing confirmed`, context);
      return decision.reason;
    }
    return this.credit(after, decision.amountMicroUsd, decision.basis, context);
  }

  /**
   * Credits first, then the charge's record. A crash in between leaves CreditsPurchased without
   * CryptoChargeCredited; the retry finds the purchase and records it with ITS amount, so a charge
   * that changed meanwhile is never credited twice or differently.
   */
  private async credit(state: CryptoChargeState, amountMicroUsd: bigint, basis: 'completed' | 'overpaid' | 'resolved', context: CommandContext): Promise<ChargeOutcome> {
    const code = state.chargeCode as string;
    const accountId = state.accountId as string;
    const paymentId = cryptoPaymentId(code);
    const { state: credits } = await loadAggregate(this.store, creditsStream(accountId), creditsDecider);
    const earlier = credits.purchases[paymentId];
    let amount = amountMicroUsd;
    let recorded = false;
    if (earlier) amount = earlier.amountMicroUsd;
    else recorded = (await this.credits.recordPurchase(accountId, { paymentId, orderId: paymentId, amountMicroUsd, clearing: 'crypto' }, context)).recorded;
    await this.apply(code, { type: 'RecordCredit', chargeCode: code, paymentId, amountMicroUsd: amount, basis, at: context.occurredAt }, context);
    this.logger.info({ chargeCode: code, accountId, basis, amountMicroUsd: amount.toString() }, 'crypto charge credited');
    return recorded ? 'credited' : 'already_credited';
  }

  /**
   * Repairs missed webhooks: every charge not credited yet and younger than the sweep window is
   * queued for the same look-up a webhook triggers. Expired charges stay in the window too: a
   * payment can still arrive after expiry (UNRESOLVED/DELAYED) and be resolved later.
   */
  async sweep(nowMs = Date.now()): Promise<{ chargesQueued: number }> {
    const crypto = this.config.crypto;
    if (!crypto || !this.jobs) return { chargesQueued: 0 };
    const since = new Date(nowMs - crypto.sweepMaxAgeHours * 3_600_000);
    const rows = await this.db
      .selectFrom('stream_index')
      .select('stream')
      .where('category', '=', CRYPTO_STREAM_CATEGORY)
      .where('first_event_at', '>=', since)
      .where('last_event_type', '<>', 'CryptoChargeCredited')
      .orderBy('first_event_at', 'desc')
      .limit(CRYPTO_SWEEP_MAX)
      .execute();
    let chargesQueued = 0;
    for (const { stream } of rows) {
      const code = stream.slice(cryptoChargeStream('').length);
      if (!CHARGE_CODE.test(code)) continue;
      await this.jobs.add({ kind: 'crypto-charge', chargeCode: code, source: 'sweep' }); // a sweep collapses into a running job: the next sweep looks again
      chargesQueued++;
    }
    if (chargesQueued > 0) this.logger.info({ chargesQueued }, 'crypto sweep');
    return { chargesQueued };
  }

  private async discrepancy(
    code: string,
    kind: Extract<CryptoChargeCommand, { type: 'RecordDiscrepancy' }>['kind'],
    expected: string | null,
    actual: string | null,
    context: CommandContext,
  ): Promise<void> {
    this.logger.warn({ chargeCode: code, kind }, 'crypto charge discrepancy');
    await this.apply(code, { type: 'RecordDiscrepancy', chargeCode: code, kind, expected, actual, at: context.occurredAt }, context);
  }

  private async apply(code: string, command: CryptoChargeCommand, context: CommandContext): Promise<CryptoChargeState> {
    return (await handleCommand(this.store, cryptoChargeStream(code), cryptoChargeDecider, command, context)).state;
  }
}

/** A definite refusal (e.g. a code Coinbase does not know) will not change on retry: fail the job at once, visibly. */
async function fetchOrFail<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof CoinbaseError && !err.transient) throw new UnrecoverableError(err.message);
    throw err;
  }
}
