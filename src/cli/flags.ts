/**
 * `--flag value` and `--flag=value`. Anything else — an unknown or repeated flag, a missing
 * value, a stray positional argument, a missing required flag — is a UsageError (exit code 2).
 */
export interface FlagSpec {
  name: string;
  required?: boolean;
  /** Shown in usage, e.g. "<email>". */
  value: string;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const FLAG_VALUE_MAX = 4_096;

export function parseFlags(args: string[], specs: readonly FlagSpec[]): Record<string, string> {
  const known = new Map(specs.map((s) => [s.name, s]));
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(arg);
    if (!match) throw new UsageError(`unexpected argument "${printable(arg)}"`);
    const [, name, inline] = match;
    if (!known.has(name)) throw new UsageError(`unknown flag --${name}`);
    if (name in flags) throw new UsageError(`--${name} given twice`);
    let value = inline;
    if (value === undefined) {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value (use --${name}=<value> if it starts with --)`);
      value = next;
      i++;
    }
    if (value.length === 0) throw new UsageError(`--${name} needs a non-empty value`);
    if (value.length > FLAG_VALUE_MAX) throw new UsageError(`--${name} is longer than ${FLAG_VALUE_MAX} characters`);
    flags[name] = value;
  }
  const missing = specs.filter((s) => s.required && !(s.name in flags)).map((s) => `--${s.name}`);
  if (missing.length > 0) throw new UsageError(`missing ${missing.join(', ')}`);
  return flags;
}

export function flagUsage(specs: readonly FlagSpec[]): string {
  return specs.map((s) => (s.required ? `--${s.name} ${s.value}` : `[--${s.name} ${s.value}]`)).join(' ');
}

/** Arguments may hold a password: never echo more than a short, plain prefix. */
function printable(arg: string): string {
  return arg.length > 20 || /[^\x20-\x7e]/.test(arg) ? `${arg.slice(0, 2).replace(/[^\x20-\x7e]/g, '?')}…` : arg;
}
