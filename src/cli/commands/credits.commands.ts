import { CreditsService } from '../../ledger/credits.service';
import { formatUsd, parseUsd } from '../../platform/money';
import { CliContext } from '../context';
import { accountIdByEmail, accountsService, cliContext } from './accounts.commands';

/**
 * A promotional grant, recorded with the CLI operator as the actor and the reason (audited).
 * Above APPROVAL_THRESHOLD_USD it is only a request (status pending_approval): a staff member
 * approves it at POST /admin/accounts/:id/credits/approvals/:operationId/approve.
 */
export async function grantCredits(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  const accountId = await accountIdByEmail(await accountsService(ctx), flags.email);
  const credits = (await ctx.services()).get(CreditsService);
  const amount = parseUsd(flags['amount-usd']);
  const result = await credits.grant(accountId, amount, flags.reason, cliContext(), flags['operation-id']);
  const data = result.event?.data as { grantId?: string; operationId?: string } | undefined;
  const status = result.event?.type === 'CreditOperationRequested' ? 'pending_approval' : 'applied';
  ctx.out(
    JSON.stringify({
      accountId,
      recorded: result.recorded,
      amountUsd: formatUsd(amount),
      operationId: data?.grantId ?? data?.operationId ?? flags['operation-id'] ?? null,
      status,
    }),
  );
  return 0;
}
