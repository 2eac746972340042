import { Inject, Module, OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { LedgerModule } from '../ledger/ledger.module';
import { KycModule } from '../privacy/kyc/kyc.module';
import { PaymentCredits } from './payment-credits';
import { PaymentOrdersService } from './orders/payment-orders.service';
import { PaymentQueries } from './payment.queries';
import { PAYMENT_JOBS, RAZORPAY } from './payments.tokens';
import { queueConnection, queuePrefix } from '../platform/jobs/queues';
import { defaultJobOptions, PaymentJobData, PaymentJobs, PAYMENTS_QUEUE } from './queue/payment-jobs';
import { PaymentReconciler } from './reconcile/payment-reconciler';
import { PaymentSweep } from './reconcile/payment-sweep';
import { ReconciliationReporter } from './reconcile/reconciliation-report';
import { RazorpayGateway, razorpayOutcomes } from './razorpay/razorpay-gateway';
import { Metrics } from '../platform/observability/metrics';
import { METRICS } from '../platform/observability/tokens';
import { PaymentRefundsService } from './refunds/payment-refunds.service';
import { WebhookInbox } from './webhooks/webhook-inbox';
import { CoinbaseCommerce } from './crypto/coinbase-commerce';
import { CryptoChargesService } from './crypto/crypto-charges.service';
import { CryptoReconciler } from './crypto/crypto-reconciler';
import { COINBASE } from './crypto/crypto.tokens';

const SERVICES = [
  CryptoChargesService,
  CryptoReconciler,
  PaymentCredits,
  PaymentOrdersService,
  PaymentReconciler,
  PaymentRefundsService,
  PaymentSweep,
  ReconciliationReporter,
  WebhookInbox,
  PaymentQueries,
];

/**
 * Payments' services and the queue producer, for the API and worker roles. With no Razorpay key
 * configured the gateway and the queue are null and every payments route answers 404.
 */
@Module({
  imports: [LedgerModule, KycModule],
  providers: [
    { provide: RAZORPAY, inject: [APP_CONFIG], useFactory: (c: AppConfig) => (c.payments ? new RazorpayGateway(c.payments) : null) },
    { provide: COINBASE, inject: [APP_CONFIG], useFactory: (c: AppConfig) => (c.crypto ? new CoinbaseCommerce(c.crypto) : null) },
    {
      // One queue for every processor: it exists when Razorpay or Coinbase Commerce is configured.
      provide: PAYMENT_JOBS,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => {
        const settings = c.payments ?? c.crypto;
        return settings
          ? new PaymentJobs(new Queue<PaymentJobData>(PAYMENTS_QUEUE, { connection: queueConnection(c), prefix: queuePrefix(c), defaultJobOptions: defaultJobOptions(settings) }))
          : null;
      },
    },
    ...SERVICES,
  ],
  exports: [RAZORPAY, COINBASE, PAYMENT_JOBS, ...SERVICES],
})
export class PaymentsModule implements OnModuleDestroy {
  constructor(
    @Inject(PAYMENT_JOBS) private readonly jobs: PaymentJobs | null,
    @Inject(METRICS) metrics: Metrics,
  ) {
    new Gauge({
      name: 'tollgate_razorpay_calls',
      help: 'Razorpay API calls of this process since start, by outcome: ok, refused (an error answer) or failed (no answer, 5xx or 429)',
      labelNames: ['outcome'],
      registers: [metrics.registry],
      collect() {
        for (const [outcome, n] of Object.entries(razorpayOutcomes)) this.set({ outcome }, n);
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.jobs?.close();
  }
}
