import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger.module';
import { AdminApprovalsController } from './admin-approvals.controller';
import { AdminCreditsController } from './admin-credits.controller';
import { FinanceLedgerController } from './finance-ledger.controller';
import { MeCreditsController } from './me-credits.controller';

/**
 * The ledger's HTTP routes (API processes). Their guards are platform/access's; the session
 * strategy they use is registered by auth/'s SessionsModule, which every API process loads.
 */
@Module({
  imports: [LedgerModule],
  controllers: [MeCreditsController, FinanceLedgerController, AdminCreditsController, AdminApprovalsController],
})
export class LedgerHttpModule {}
