import { Inject, Injectable } from '@nestjs/common';
import { invalid, notFound, unavailable } from '../../platform/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { handleCommand, loadAggregate } from '../../platform/event-sourcing/command-handler';
import { CommandContext } from '../../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { formatUsd, parseUsd } from '../../platform/money';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { KycGate } from '../../privacy/kyc/kyc-gate';
import { MICRO_USD_PER_CENT } from '../payment.events';
import { CoinbaseCommerce, CoinbaseError } from './coinbase-commerce';
import { cryptoChargeDecider, CryptoChargeState } from './crypto-charge.decide';
import { CHARGE_CODE, cryptoChargeStream, CryptoPaymentRef } from './crypto-charge.events';
import { COINBASE, cryptoEnabled } from './crypto.tokens';

export interface CryptoChargeCreated {
  chargeCode: string;
  /** Coinbase's hosted payment page: the developer pays there, in the coin and network they choose. */
  hostedUrl: string;
  amountUsd: string;
  expiresAt: string | null;
}

export interface CryptoChargeView {
  chargeCode: string;
  amountUsd: string;
  hostedUrl: string;
  /** Coinbase's last status we saw (null until the worker first looked) and its context (UNDERPAID, …). */
  status: string | null;
  context: string | null;
  credited: boolean;
  creditedUsd: string | null;
  payments: CryptoPaymentRef[];
}

/** Crypto top-ups for the signed-in developer: a charge on Coinbase Commerce's hosted page. */
@Injectable()
export class CryptoChargesService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(COINBASE) private readonly coinbase: CoinbaseCommerce | null,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly kyc: KycGate,
  ) {}

  async createCharge(accountId: string, amountUsd: string, context: CommandContext): Promise<CryptoChargeCreated> {
    const crypto = cryptoEnabled(this.config.crypto);
    const coinbase = cryptoEnabled(this.coinbase);
    await this.kyc.assertAllowed(accountId, 'payment orders'); // KYC_REQUIRED (P17)
    const amountMicroUsd = parseUsd(amountUsd);
    // The same limits as Razorpay top-ups (TOPUP_MIN_USD..TOPUP_MAX_USD, whole cents).
    if (amountMicroUsd < crypto.topupMinMicroUsd || amountMicroUsd > crypto.topupMaxMicroUsd) {
      throw invalid('amount_out_of_range', `A top-up is between ${formatUsd(crypto.topupMinMicroUsd)} and ${formatUsd(crypto.topupMaxMicroUsd)} USD.`);
    }
    if (amountMicroUsd % MICRO_USD_PER_CENT !== 0n) throw invalid('invalid_amount', 'A top-up is in whole cents, e.g. "25.00".');
    const amount = formatUsd(amountMicroUsd);
    let charge;
    try {
      charge = await coinbase.createCharge({
        name: 'Tollgate credits',
        description: `${amount} USD of prepaid credits`,
        amountUsd: amount,
        metadata: { tollgateAccountId: accountId },
      });
    } catch (err) {
      if (err instanceof CoinbaseError) {
        this.logger.warn({ status: err.statusCode, description: err.description }, 'Coinbase Commerce failed while creating a charge');
        throw unavailable('crypto_processor_unavailable', 'The crypto payment processor failed while creating a charge; try again.');
      }
      throw err;
    }
    if (!CHARGE_CODE.test(charge.code) || !/^https?:\/\//.test(charge.hosted_url))
      throw unavailable('crypto_processor_unavailable', 'The crypto payment processor answered with an unusable charge; try again.');
    await handleCommand(
      this.store,
      cryptoChargeStream(charge.code),
      cryptoChargeDecider,
      {
        type: 'CreateCharge',
        chargeCode: charge.code,
        chargeId: charge.id,
        accountId,
        amountMicroUsd,
        hostedUrl: charge.hosted_url,
        expiresAt: charge.expires_at ?? null,
        at: context.occurredAt,
      },
      context,
    );
    return { chargeCode: charge.code, hostedUrl: charge.hosted_url, amountUsd: amount, expiresAt: charge.expires_at ?? null };
  }

  async charge(accountId: string, code: string): Promise<CryptoChargeView> {
    cryptoEnabled(this.config.crypto);
    const state = await this.ownCharge(accountId, code);
    return {
      chargeCode: code,
      amountUsd: formatUsd(state.amountMicroUsd),
      hostedUrl: state.hostedUrl ?? '',
      status: state.status,
      context: state.context,
      credited: state.credited !== null,
      creditedUsd: state.credited ? formatUsd(state.credited.amountMicroUsd) : null,
      payments: state.payments,
    };
  }

  /** Another developer's charge answers exactly like a missing one. */
  private async ownCharge(accountId: string, code: string): Promise<CryptoChargeState> {
    if (typeof code !== 'string' || !CHARGE_CODE.test(code)) throw invalid('invalid_id', 'A charge code is 4..32 upper-case letters and digits.');
    const { state } = await loadAggregate(this.store, cryptoChargeStream(code), cryptoChargeDecider);
    if (!state.chargeCode || state.accountId !== accountId) throw notFound('charge_not_found', 'No such crypto charge.');
    return state;
  }
}
