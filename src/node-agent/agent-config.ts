import { readFileSync } from 'node:fs';
import { FlagSpec, parseFlags, UsageError } from '../cli/flags';
import { LogLevel } from '../platform/config/config';
import { AGENT_DEFAULTS, NodeAgentOptions } from './node-agent';

export const AGENT_FLAGS: FlagSpec[] = [
  { name: 'gateway', required: true, value: '<gateway URL>' },
  { name: 'engine', required: true, value: '<engine URL, e.g. http://127.0.0.1:8000>' },
  { name: 'tunnel', value: '(no value: dial out to the gateway instead of listening; or env TOLLGATE_TUNNEL=1)' },
  { name: 'listen', value: `<host:port, default ${AGENT_DEFAULTS.host}:${AGENT_DEFAULTS.port}>` },
  { name: 'token-file', value: '<file holding the node token> (or env TOLLGATE_NODE_TOKEN)' },
  { name: 'max-concurrency', value: `<requests at once, default ${AGENT_DEFAULTS.maxConcurrency}>` },
  { name: 'max-queue', value: `<requests waiting, default ${AGENT_DEFAULTS.maxQueue}>` },
  { name: 'heartbeat-interval-ms', value: '<ms, default: as the gateway advises>' },
  { name: 'max-request-ms', value: `<longest request, queue included, default ${AGENT_DEFAULTS.maxRequestMs}>` },
  { name: 'log-level', value: '<info|warn|error|debug>' },
];

const NODE_TOKEN = /^tg_node_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/;

function int(flags: Record<string, string>, name: string, fallback: number, min: number, max: number): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) throw new UsageError(`--${name} must be an integer in ${min}..${max}`);
  return value;
}

function url(flags: Record<string, string>, name: string): string {
  try {
    const parsed = new URL(flags[name]);
    if (!['http:', 'https:'].includes(parsed.protocol)) throw new Error();
    return parsed.toString().replace(/\/+$/, '');
  } catch {
    throw new UsageError(`--${name} must be an http(s) URL`);
  }
}

/**
 * The agent's whole configuration, read once from its arguments and environment. Secrets come
 * from the environment or a file, never a flag (flags are visible in the process list).
 */
export function readAgentConfig(argv: string[], env: Record<string, string | undefined>): NodeAgentOptions & { logLevel: LogLevel } {
  // --tunnel is the one flag without a value: taken out before the `--flag value` parser.
  const tunnel = argv.includes('--tunnel') || ['1', 'true', 'yes'].includes((env.TOLLGATE_TUNNEL ?? '').trim().toLowerCase());
  const flags = parseFlags(
    argv.filter((a) => a !== '--tunnel'),
    AGENT_FLAGS,
  );
  if (tunnel && flags.listen) throw new UsageError('--listen and --tunnel exclude each other (a tunnelled agent listens on nothing)');
  const token = (flags['token-file'] ? readFileSync(flags['token-file'], 'utf8') : (env.TOLLGATE_NODE_TOKEN ?? '')).trim();
  if (!NODE_TOKEN.test(token)) throw new UsageError('the node token (tg_node_…) must be in TOLLGATE_NODE_TOKEN or the --token-file');
  const [host, port] = (flags.listen ?? `${AGENT_DEFAULTS.host}:${AGENT_DEFAULTS.port}`).split(/:(?=\d+$)/);
  if (!host || port === undefined || !/^\d{1,5}$/.test(port) || Number(port) > 65_535) throw new UsageError('--listen must be host:port');
  const logLevel = (flags['log-level'] ?? 'info') as LogLevel;
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel))
    throw new UsageError('--log-level must be fatal, error, warn, info, debug, trace or silent');
  return {
    gatewayUrl: url(flags, 'gateway'),
    engineUrl: url(flags, 'engine'),
    nodeToken: token,
    engineApiKey: env.TOLLGATE_ENGINE_API_KEY?.trim() || null,
    host,
    port: Number(port),
    maxConcurrency: int(flags, 'max-concurrency', AGENT_DEFAULTS.maxConcurrency, 1, 10_000),
    maxQueue: int(flags, 'max-queue', AGENT_DEFAULTS.maxQueue, 0, 100_000),
    heartbeatIntervalMs: flags['heartbeat-interval-ms'] ? int(flags, 'heartbeat-interval-ms', 5_000, 20, 300_000) : null,
    maxRequestMs: int(flags, 'max-request-ms', AGENT_DEFAULTS.maxRequestMs, 1_000, 86_400_000),
    tunnel,
    logLevel,
  };
}
