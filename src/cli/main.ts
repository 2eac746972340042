import 'reflect-metadata';
import { DATE_RANGE_TEXT, instantOf } from '../platform/http/dates';
import { DomainError } from '../platform/errors/domain-error';
import { ConfigError } from '../platform/config/config';
import type { CliContext } from './context';
import { CliIo, processIo } from './io';
import { flagUsage, FlagSpec, parseFlags, UsageError } from './flags';
import { checkGrantFlags } from './money-flags';
import { assignableRole, knownRole } from './roles';
import * as nodesFlags from './node-flags';

/**
 * `npm run cli -- <command> [--flag value | --flag=value]`. Commands that change state go
 * through the same services as the API. Exit codes: 0 done, 1 refused or failed, 2 usage error.
 * Command code (and with it Nest and the whole app) is loaded only once the flags are valid,
 * so a usage error answers at once.
 */
type Run = (ctx: CliContext, flags: Record<string, string>) => Promise<number>;

interface Command {
  help: string;
  flags: FlagSpec[];
  /** Cheap checks of flag values, before anything connects. Throws UsageError. */
  check?(flags: Record<string, string>): void;
  load(): Promise<Run>;
}

const email: FlagSpec = { name: 'email', required: true, value: '<email>' };
const password: FlagSpec = { name: 'password', required: true, value: '<password>' };
const displayName: FlagSpec = { name: 'name', value: '<display name>' };
const role: FlagSpec = { name: 'role', required: true, value: '<role>' };
// Issue 22: the person whose account this is confirms their age and accepts the versions in force (GET /legal/terms, /legal/privacy).
const eligibility: FlagSpec[] = [
  { name: 'over18', required: true, value: 'yes' },
  { name: 'accept-terms', required: true, value: '<terms version>' },
  { name: 'accept-privacy', required: true, value: '<privacy policy version>' },
];
const checkOver18 = (f: Record<string, string>) => {
  if (f.over18 !== 'yes') throw new UsageError('--over18 must be "yes": the person confirms being 18 or older');
};

const accounts = () => import('./commands/accounts.commands');
const projections = () => import('./commands/projections.commands');
const credits = () => import('./commands/credits.commands');
const nodes = () => import('./commands/nodes.commands');
const node: FlagSpec = { name: 'node', required: true, value: '<node id>' };

const COMMANDS: Record<string, Command> = {
  migrate: {
    help: 'create the database if missing and apply pending migrations',
    flags: [],
    load: async () => async (ctx) => (ctx.out(JSON.stringify({ applied: ctx.migrationsApplied })), 0),
  },
  'projections:rebuild': { help: 'truncate every read model and replay all events', flags: [], load: async () => (await projections()).rebuildProjections },
  'projections:verify': {
    help: 'rebuild into a scratch schema and report any difference from the live read models',
    flags: [],
    load: async () => (await projections()).verifyProjectionsCommand,
  },
  'retention:run': {
    help: 'run one retention sweep now: summarise and remove old usage detail, remove old sign-ins',
    flags: [],
    load: async () => (await import('./commands/retention.commands')).runRetention,
  },
  'admin:create': {
    help: 'register an account with the admin role (the person confirms 18+ and accepts the terms and privacy policy in force)',
    flags: [email, password, displayName, ...eligibility],
    check: checkOver18,
    load: async () => (await accounts()).createAdmin,
  },
  'users:create': {
    help: 'register an account (role: developer, finance, support or admin; provider is invite-only); the person confirms 18+ and accepts the terms and privacy policy in force',
    flags: [email, password, displayName, { name: 'role', value: '<role>' }, ...eligibility],
    check: (f) => {
      checkOver18(f);
      if (f.role) assignableRole(f.role);
    },
    load: async () => (await accounts()).createUser,
  },
  'keys:issue': {
    help: 'issue an API key for the account; prints the key once on stdout, its metadata on stderr',
    flags: [email, { name: 'name', value: '<key name>' }, { name: 'expires-at', value: '<ISO-8601 time>' }],
    load: async () => (await import('./commands/keys.commands')).issueKey,
  },
  'users:suspend': {
    help: 'suspend an account: sign-in, sessions and keys are refused at once',
    flags: [email, { name: 'reason', required: true, value: '<reason>' }],
    load: async () => (await accounts()).suspendUser,
  },
  'users:reinstate': { help: 'lift a suspension', flags: [email], load: async () => (await accounts()).reinstateUser },
  'roles:grant': {
    help: 'grant a role (developer, finance, support, admin)',
    flags: [email, role],
    check: (f) => void assignableRole(f.role),
    load: async () => (await accounts()).grantRole,
  },
  'credits:grant': {
    help: 'grant promotional credits (audited, with a reason); --operation-id makes a retry a no-op',
    flags: [
      email,
      { name: 'amount-usd', required: true, value: '<USD, e.g. 25.00>' },
      { name: 'reason', required: true, value: '<reason>' },
      { name: 'operation-id', value: '<id>' },
    ],
    check: checkGrantFlags,
    load: async () => (await credits()).grantCredits,
  },
  'roles:revoke': { help: 'revoke a role', flags: [email, role], check: (f) => void knownRole(f.role), load: async () => (await accounts()).revokeRole },
  // GPU nodes and prices
  'providers:invite': { help: 'invite an email to become a provider; prints the invite token once on stdout', flags: [email], load: async () => (await nodes()).inviteProvider },
  'nodes:register': {
    help: "register a node for a provider (pending until approved); prints the node token once on stdout. --models 'id[=contextLength],…'",
    flags: [
      { name: 'provider-email', required: true, value: '<email>' },
      { name: 'name', required: true, value: '<node name>' },
      { name: 'endpoint', required: true, value: '<node agent URL>' },
      { name: 'models', required: true, value: '<id[=context],…>' },
      { name: 'gpu-model', value: '<e.g. RTX 4090>' },
      { name: 'gpu-memory-gb', value: '<GB>' },
      { name: 'region', value: '<region>' },
    ],
    check: (f) => {
      void nodesFlags.parseModels(f.models);
      nodesFlags.gpuMemory(f);
    },
    load: async () => (await nodes()).registerNode,
  },
  'account:replay': {
    help: "support: an account's timeline (newest first, metadata only) and its state at --at (default now), found by email",
    flags: [email, { name: 'at', value: '<ISO-8601 time>' }, { name: 'limit', value: '<1..500>' }],
    check: (f) => {
      if (f.at !== undefined && !instantOf(f.at)) throw new UsageError(`--at must be an ISO-8601 time with a zone in ${DATE_RANGE_TEXT}`);
      if (f.limit !== undefined && !/^\d{1,3}$/.test(f.limit)) throw new UsageError('--limit must be 1..500');
    },
    load: async () => (await import('./commands/support.commands')).replayAccount,
  },
  'nodes:approve': { help: 'approve a node (or lift its suspension)', flags: [node], load: async () => (await nodes()).approveNode },
  'nodes:suspend': { help: 'suspend a node, with a reason', flags: [node, { name: 'reason', required: true, value: '<reason>' }], load: async () => (await nodes()).suspendNode },
  'nodes:reviews': {
    help: 'earnings held after automatic suspensions (newest first; --status open|released|clawed_back)',
    flags: [{ name: 'status', value: '<status>' }],
    load: async () => (await nodes()).listReviews,
  },
  'nodes:review-release': {
    help: 'release held earnings after a review, with a reason',
    flags: [
      { name: 'review', required: true, value: '<review id>' },
      { name: 'reason', required: true, value: '<reason>' },
    ],
    load: async () => (await nodes()).releaseReview,
  },
  'nodes:review-claw-back': {
    help: 'claw held earnings back after a review (a correcting ledger entry), with a reason',
    flags: [
      { name: 'review', required: true, value: '<review id>' },
      { name: 'reason', required: true, value: '<reason>' },
    ],
    load: async () => (await nodes()).clawBackReview,
  },
  'prices:set': {
    help: 'set a model price as a new version (USD per million tokens, exact to 6 decimals)',
    flags: [
      { name: 'model', required: true, value: '<model id>' },
      { name: 'input-usd-per-mtok', required: true, value: '<USD>' },
      { name: 'output-usd-per-mtok', required: true, value: '<USD>' },
      { name: 'per-image-usd', value: '<USD>' },
      { name: 'effective-at', value: '<ISO-8601 time, default now>' },
    ],
    check: (f) => nodesFlags.price(f),
    load: async () => (await nodes()).setPrice,
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n} ${flagUsage(c.flags)}\n      ${c.help}`);
  return `usage: npm run cli -- <command> [flags]\n\ncommands:\n${lines.join('\n')}`;
}

/**
 * Runs one command and answers its exit code; `io` is where it reads its environment and writes
 * stdout and stderr (the entry point below passes the process's own, the tests their own).
 */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const failed = { audit: false };
  try {
    const code = await main(argv, io, failed);
    return failed.audit ? 3 : code;
  } catch (err) {
    const e = err as Error;
    io.stderr(`${err instanceof ConfigError ? e.message : `${e.name}: ${e.message}`}\n`);
    return 1;
  }
}

async function main(argv: string[], io: CliIo, failed: { audit: boolean }): Promise<number> {
  const [commandName, ...args] = argv;
  const command = commandName ? COMMANDS[commandName] : undefined;
  if (!command) {
    if (commandName && commandName !== 'help') io.stderr(`error: unknown command "${commandName}"\n\n`);
    io.stderr(`${usage()}\n`);
    return commandName && commandName !== 'help' ? 2 : 0;
  }
  const usageError = (err: UsageError) => {
    io.stderr(`error: ${err.message}\nusage: npm run cli -- ${commandName} ${flagUsage(command.flags)}\n`);
    return 2;
  };
  let flags: Record<string, string>;
  try {
    flags = parseFlags(args, command.flags);
    command.check?.(flags);
  } catch (err) {
    if (err instanceof UsageError) return usageError(err);
    throw err;
  }
  const run = await command.load();
  const ctx = await (await import('./context')).openContext(io); // migrates on open, which is all `migrate` needs
  let exitCode = 1;
  let code = 'internal_error';
  try {
    exitCode = await run(ctx, flags);
    code = exitCode === 0 ? 'ok' : 'failed';
    return exitCode;
  } catch (err) {
    if (err instanceof UsageError) {
      code = 'usage_error';
      return (exitCode = usageError(err));
    }
    if (err instanceof DomainError) {
      ctx.err(`error: ${err.code}: ${err.message}`);
      code = err.code;
      return (exitCode = 1);
    }
    throw err;
  } finally {
    failed.audit = !(await audit(ctx, commandName, flags, exitCode, code));
    await ctx.close();
  }
}

/** Every command is in the audit log (P11); a command whose record cannot be written fails loudly (exit 3). */
async function audit(ctx: import('./context').CliContext, commandName: string, flags: Record<string, string>, exitCode: number, code: string): Promise<boolean> {
  try {
    await (await import('./audit')).recordCliCommand(ctx, commandName, flags, exitCode, code);
    return true;
  } catch (err) {
    ctx.err(`error: the command could not be recorded in the audit log: ${(err as Error).message}`);
    return false;
  }
}

if (require.main === module) runCli(process.argv.slice(2), processIo).then((code) => process.exit(code));
