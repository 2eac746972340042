import { normalizeEmail } from '../accounts/accounts.service';
import { now } from '../platform/clock';
import { identityOwner } from '../accounts/identity';
import { recordStaffAction } from '../audit/audit-recorder';
import { safeQuery } from '../audit/safe-values';
import { Secrets } from '../platform/security/secrets';
import { CLI_ACTOR } from './commands/accounts.commands';
import type { CliContext } from './context';

/** Flags naming a person by email: the audit log keeps the account id they resolve to, never the email. */
const EMAIL_FLAGS: Record<string, string> = { email: 'accountId', 'provider-email': 'providerId' };
const ID_FLAGS: Record<string, string> = { node: 'nodeId', model: 'model' };

export async function emailOwner(ctx: CliContext, email: string): Promise<string | null> {
  return identityOwner(ctx.store, new Secrets(ctx.config.appSecret).hash('identity-hash', `email:${normalizeEmail(email)}`));
}

/**
 * Every operator command is a StaffActionRecorded with actor `operator:cli` (P11), recorded after
 * it ran (so a created account's id is known) with its exit code. Flags are kept by name, values
 * only for ids, times and amounts (safeQuery); passwords, reasons and names never.
 */
export async function recordCliCommand(ctx: CliContext, command: string, flags: Record<string, string>, exitCode: number, code: string): Promise<void> {
  const target: Record<string, string> = {};
  for (const [flag, key] of Object.entries(EMAIL_FLAGS)) {
    if (!flags[flag]) continue;
    const owner = await emailOwner(ctx, flags[flag]);
    if (owner) target[key] = owner;
  }
  for (const [flag, key] of Object.entries(ID_FLAGS)) if (flags[flag] && /^[A-Za-z0-9_.:+\-/]{1,200}$/.test(flags[flag])) target[key] = flags[flag];
  const shown = Object.fromEntries(Object.entries(flags).filter(([name]) => !(name in EMAIL_FLAGS)));
  await recordStaffAction(ctx.store, {
    actorId: CLI_ACTOR,
    actorRoles: [],
    action: `CLI ${command}`,
    channel: 'cli',
    target,
    query: safeQuery(shown),
    outcome: { status: null, exitCode, code },
    requestId: null,
    at: now(),
  });
}
