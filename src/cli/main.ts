import 'reflect-metadata';
import { ConfigError } from '../config/config';
import { rebuildProjections, verifyProjectionsCommand } from './commands/projections.commands';
import { CliContext, openContext } from './context';

/** `npm run cli -- <command> [--flag value]`. Commands that change state go through the same code as the API. */
const COMMANDS: Record<string, { help: string; run: (ctx: CliContext, args: string[]) => Promise<number> }> = {
  migrate: { help: 'create the database if missing and apply pending migrations', run: async (ctx) => (console.log(JSON.stringify({ applied: ctx.migrationsApplied })), 0) },
  'projections:rebuild': { help: 'truncate every read model and replay all events', run: rebuildProjections },
  'projections:verify': { help: 'rebuild into a scratch schema and report any difference from the live read models', run: verifyProjectionsCommand },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    console.error(`usage: npm run cli -- <command>\n\ncommands:\n${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(22)} ${c.help}`).join('\n')}`);
    return name && name !== 'help' ? 2 : 0;
  }
  const ctx = await openContext(); // migrates on open, which is all `migrate` needs
  try {
    return await command.run(ctx, args);
  } finally {
    await ctx.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err instanceof ConfigError ? err.message : `${err.name}: ${err.message}`);
    process.exit(1);
  },
);
