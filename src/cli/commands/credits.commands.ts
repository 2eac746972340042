import { CreditsService } from '../../ledger/credits.service';
import { formatUsd, parseUsd } from '../../ledger/money';
import { CliContext } from '../context';
import { accountIdByEmail, accountsService, cliContext } from './accounts.commands';

/** A promotional grant, recorded with the CLI operator as the actor and the reason (audited). */
export async function grantCredits(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  const accountId = await accountIdByEmail(await accountsService(ctx), flags.email);
  const credits = (await ctx.services()).get(CreditsService);
  const amount = parseUsd(flags['amount-usd']);
  const result = await credits.grant(accountId, amount, flags.reason, cliContext(), flags['operation-id']);
  console.log(JSON.stringify({ accountId, recorded: result.recorded, amountUsd: formatUsd(amount), operationId: (result.event?.data as { grantId?: string } | undefined)?.grantId ?? flags['operation-id'] ?? null }));
  return 0;
}
