import { Module } from '@nestjs/common';
import { AccountsService } from './accounts.service';
import { EmailChangeService } from './email-change/email-change.service';
import { AccountEligibilityService } from './eligibility/account-eligibility.service';
import { ProfileService } from './profile/profile.service';
import { AccountRolesService } from './roles/account-roles.service';

/** An account's records, sign-up and sign-in (AccountsService) and its other use cases, one service each. */
const USE_CASES = [AccountEligibilityService, AccountRolesService, EmailChangeService, ProfileService];

/** AccountEligibilityService needs POLICIES_IN_FORCE, which the global PolicyVersionsModule (legal/) provides. */
@Module({ providers: [AccountsService, ...USE_CASES], exports: [AccountsService, ...USE_CASES] })
export class AccountsModule {}
