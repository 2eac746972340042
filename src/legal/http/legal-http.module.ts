import { Module } from '@nestjs/common';
import { AccountsModule } from '../../accounts/accounts.module';
import { SessionsModule } from '../../auth/sessions.module';
import { PrivacyModule } from '../../privacy/privacy.module';
import { PolicyVersionsModule } from '../legal.module';
import { ReportedMinor } from '../reported-minor';
import { EligibilityController } from './eligibility.controller';
import { AdminLegalController, LegalController } from './legal.controller';
import { ReportedMinorController } from './reported-minor.controller';

/** /legal/* (public), the admin's publishing route, the eligibility step of a first external sign-in, the reported-minor action. */
@Module({
  imports: [PolicyVersionsModule, AccountsModule, SessionsModule, PrivacyModule],
  controllers: [LegalController, AdminLegalController, EligibilityController, ReportedMinorController],
  providers: [ReportedMinor],
})
export class LegalHttpModule {}
