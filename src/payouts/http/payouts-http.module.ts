import { Module } from '@nestjs/common';
import { SessionsModule } from '../../auth/sessions.module';
import { LedgerModule } from '../../ledger/ledger.module';
import { PayoutsModule } from '../payouts.module';
import { FinancePayoutsController } from './finance-payouts.controller';
import { ProviderPayoutsController } from './provider-payouts.controller';

/** Payout routes (API processes): the provider's own, and finance's queue. */
@Module({
  imports: [PayoutsModule, LedgerModule, SessionsModule],
  controllers: [ProviderPayoutsController, FinancePayoutsController],
})
export class PayoutsHttpModule {}
