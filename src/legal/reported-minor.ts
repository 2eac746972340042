import { Injectable } from '@nestjs/common';
import { AccountsService } from '../accounts/accounts.service';
import { notFound } from '../platform/errors/domain-error';
import { CommandContext } from '../platform/event-sourcing/decider';
import { AccountDeletion, DeletionOutcome } from '../privacy/deletion/account-deletion';
import { AccountEligibilityService } from '../accounts/eligibility/account-eligibility.service';

/**
 * Issue 22 item 4: support or an admin learns the person is under 18. ReportedMinorFlagged, then the
 * account's keys are refused on every instance (the suspension denylist, before this returns), then
 * the deletion completes at once without the grace period: AccountDeleted, the person's key shredded,
 * keys revoked, sessions ended. What the law requires stays (ledger, usage and payment records,
 * which hold no personal data: P6). If anything after the flag fails, the deletion sweep finishes it
 * (the flag makes the deletion due at once).
 */
@Injectable()
export class ReportedMinor {
  constructor(
    private readonly accounts: AccountsService,
    private readonly eligibility: AccountEligibilityService,
    private readonly deletion: AccountDeletion,
  ) {}

  async flag(accountId: string, referenceId: string | null, context: CommandContext): Promise<DeletionOutcome> {
    if (!(await this.accounts.exists(accountId))) throw notFound('account_not_found', 'No such account.');
    await this.eligibility.flagReportedMinor(accountId, referenceId, context);
    return this.deletion.complete(accountId, new Date(context.occurredAt));
  }
}
