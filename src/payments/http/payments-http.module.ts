import { Module } from '@nestjs/common';
import { SessionsModule } from '../../auth/sessions.module';
import { PaymentsModule } from '../payments.module';
import { RazorpayWebhookController } from '../webhooks/razorpay-webhook.controller';
import { AdminPaymentsController } from './admin-payments.controller';
import { FinancePaymentsController } from './finance-payments.controller';
import { MePaymentsController } from './me-payments.controller';
import { CoinbaseWebhookController } from '../crypto/coinbase-webhook.controller';
import { MeCryptoController } from '../crypto/me-crypto.controller';

/** Payments' HTTP routes (API processes): they verify, record and enqueue; the worker does the rest. */
@Module({
  imports: [PaymentsModule, SessionsModule],
  controllers: [MePaymentsController, MeCryptoController, RazorpayWebhookController, CoinbaseWebhookController, AdminPaymentsController, FinancePaymentsController],
})
export class PaymentsHttpModule {}
