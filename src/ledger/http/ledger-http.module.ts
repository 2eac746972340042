import { Module } from '@nestjs/common';
import { SessionsModule } from '../../auth/sessions.module';
import { LedgerModule } from '../ledger.module';
import { AdminApprovalsController } from './admin-approvals.controller';
import { AdminCreditsController } from './admin-credits.controller';
import { FinanceLedgerController } from './finance-ledger.controller';
import { MeCreditsController } from './me-credits.controller';

/** The ledger's HTTP routes (API processes). */
@Module({
  imports: [LedgerModule, SessionsModule],
  controllers: [MeCreditsController, FinanceLedgerController, AdminCreditsController, AdminApprovalsController],
})
export class LedgerHttpModule {}
