import { Global, Module } from '@nestjs/common';
import { POLICIES_IN_FORCE, PoliciesInForce } from '../accounts/eligibility/account-eligibility.service';
import { PolicyVersionsService } from './policy-versions.service';

/**
 * Policy versions, everywhere (sign-up and sign-in read the versions in force). Global because
 * accounts/ reads them too (as POLICIES_IN_FORCE) but cannot import a legal/ module without a
 * ring of folders (issue 21); app.module imports it once for every role.
 */
@Global()
@Module({
  providers: [
    PolicyVersionsService,
    // The same instance, typed: a change to either side fails to compile rather than at run time.
    { provide: POLICIES_IN_FORCE, inject: [PolicyVersionsService], useFactory: (service: PolicyVersionsService): PoliciesInForce => service },
  ],
  exports: [PolicyVersionsService, POLICIES_IN_FORCE],
})
export class PolicyVersionsModule {}
