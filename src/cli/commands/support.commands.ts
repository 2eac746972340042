import { instantOf } from '../../platform/http/dates';
import { notFound } from '../../platform/errors/domain-error';
import { AccountHistory } from '../../support/account-history';
import { emailOwner } from '../audit';
import { CliContext } from '../context';

/** `account:replay --email <email> [--at <ISO>]`: the same replay support gets over HTTP, from the event store. */
export async function replayAccount(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  const accountId = await emailOwner(ctx, flags.email);
  if (!accountId) throw notFound('account_not_found', 'No account has that email.');
  const history = new AccountHistory(ctx.store, ctx.db);
  const at = (flags.at ? instantOf(flags.at) : null) ?? new Date(); // --at was checked by the CLI
  const timeline = await history.timeline(accountId, { to: new Date(at.getTime() + 1), limit: flags.limit ? Number(flags.limit) : 100 });
  const state = await history.stateAt(accountId, at);
  ctx.out(JSON.stringify({ accountId, at: at.toISOString(), state, timeline }, null, 2));
  return 0;
}
