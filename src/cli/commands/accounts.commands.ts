import { Role } from '../../platform/access/roles';
import { AccountsService } from '../../accounts/accounts.service';
import { AccountRolesService } from '../../accounts/roles/account-roles.service';
import { now } from '../../platform/clock';
import { notFound } from '../../platform/errors/domain-error';
import { CommandContext } from '../../platform/event-sourcing/decider';
import { CliContext } from '../context';
import { assignableRole, knownRole } from '../roles';

/** Every CLI change is recorded with this actor: the audit trail says an operator did it from the CLI. */
export const CLI_ACTOR = 'operator:cli';

export const cliContext = (): CommandContext => ({ actorId: CLI_ACTOR, occurredAt: now() });

export async function accountsService(ctx: CliContext): Promise<AccountsService> {
  return (await ctx.services()).get(AccountsService);
}

export async function accountIdByEmail(accounts: AccountsService, email: string): Promise<string> {
  const accountId = await accounts.findIdByEmail(email);
  if (!accountId) throw notFound('account_not_found', 'No account has that email.');
  return accountId;
}

/** Checked by main.ts (--over18 yes); the versions are checked against those in force by the service. */
const eligibilityOf = (flags: Record<string, string>) => ({ over18: true as const, termsVersion: flags['accept-terms'], privacyVersion: flags['accept-privacy'] });

function print(ctx: CliContext, result: object): void {
  ctx.out(JSON.stringify(result));
}

export async function createAdmin(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  const accounts = await accountsService(ctx);
  const { accountId } = await accounts.register(
    { email: flags.email, password: flags.password, displayName: flags.name ?? null, via: 'cli', roles: ['admin'], eligibility: eligibilityOf(flags) },
    cliContext(),
  );
  print(ctx, { accountId, roles: ['developer', 'admin'] });
  return 0;
}

export async function createUser(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  const role = assignableRole(flags.role ?? 'developer');
  const accounts = await accountsService(ctx);
  const roles: Role[] = role === 'developer' ? [] : [role];
  const { accountId } = await accounts.register(
    { email: flags.email, password: flags.password, displayName: flags.name ?? null, via: 'cli', roles, eligibility: eligibilityOf(flags) },
    cliContext(),
  );
  print(ctx, { accountId, roles: ['developer', ...roles] });
  return 0;
}

export async function suspendUser(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  const accounts = await accountsService(ctx);
  const accountId = await accountIdByEmail(accounts, flags.email);
  await accounts.suspend(accountId, flags.reason, cliContext());
  print(ctx, { accountId, status: 'suspended' });
  return 0;
}

export async function reinstateUser(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  const accounts = await accountsService(ctx);
  const accountId = await accountIdByEmail(accounts, flags.email);
  await accounts.reinstate(accountId, cliContext());
  print(ctx, { accountId, status: 'active' });
  return 0;
}

export async function grantRole(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  const role = assignableRole(flags.role);
  const accounts = await accountsService(ctx);
  const accountId = await accountIdByEmail(accounts, flags.email);
  await (await ctx.services()).get(AccountRolesService).grantRole(accountId, role, cliContext());
  print(ctx, { accountId, roles: (await accounts.state(accountId)).roles });
  return 0;
}

export async function revokeRole(ctx: CliContext, flags: Record<string, string>): Promise<number> {
  const role = knownRole(flags.role);
  const accounts = await accountsService(ctx);
  const accountId = await accountIdByEmail(accounts, flags.email);
  await (await ctx.services()).get(AccountRolesService).revokeRole(accountId, role, cliContext()); // the decider keeps 'developer' on every account
  print(ctx, { accountId, roles: (await accounts.state(accountId)).roles });
  return 0;
}
