import { ApiKeysService } from '../../api-keys/api-keys.service';
import { CliContext } from '../context';
import { accountIdByEmail, accountsService, cliContext } from './accounts.commands';

/**
 * Prints the new key alone on stdout (so `KEY=$(npm run -s cli -- keys:issue …)` works) and its
 * metadata on stderr. The key is never printed again: only its hash is stored.
 */
export async function issueKey(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  const accounts = await accountsService(ctx);
  const keys = (await ctx.services()).get(ApiKeysService);
  const accountId = await accountIdByEmail(accounts, flags.email);
  const { key, apiKey } = await keys.issue(accountId, { name: flags.name ?? 'cli', expiresAt: flags['expires-at'] ?? null }, cliContext());
  ctx.out(key);
  ctx.err(JSON.stringify({ accountId, apiKey }));
  return 0;
}
