/**
 * Configuration is read from the environment exactly once, at boot, into a typed object.
 * Every problem is collected so a bad deployment fails with one message listing all of them.
 * Nothing else in the code base reads process.env.
 */
export type NodeEnv = 'development' | 'test' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface AppConfig {
  nodeEnv: NodeEnv;
  host: string;
  port: number;
  logLevel: LogLevel;
  databaseUrl: string;
  databasePoolMax: number;
  redisUrl: string;
  /** Set → EventStoreDB adapter; unset → the PostgreSQL event store. */
  eventStoreConnectionString: string | null;
  /** How often an idle PostgreSQL subscription polls for events committed by other processes. */
  eventStorePollIntervalMs: number;
  projectionBatchMax: number;
  shutdownTimeoutMs: number;
  /** Master secret; purpose-specific keys (key hashing, identity hashing, sessions) are derived from it. */
  appSecret: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Only for development and tests; production refuses to boot without APP_SECRET. */
const DEV_APP_SECRET = 'tollgate-development-secret-not-for-production';

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string, fallback: string | null): string {
    const raw = this.env[name]?.trim();
    if (raw) return raw;
    if (fallback === null) {
      this.problems.push(`${name} is required`);
      return '';
    }
    return fallback;
  }

  optional(name: string): string | null {
    const raw = this.env[name]?.trim();
    return raw ? raw : null;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name, fallback);
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
    return fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      this.problems.push(`${name} must be an integer in ${min}..${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  url(name: string, fallback: string, protocols: string[]): string {
    const raw = this.string(name, fallback);
    try {
      const url = new URL(raw);
      if (!protocols.includes(url.protocol)) {
        this.problems.push(`${name} must use ${protocols.join(' or ')} (got "${url.protocol}")`);
      }
    } catch {
      this.problems.push(`${name} is not a valid URL`);
    }
    return raw;
  }
}

export function loadConfig(env: Env): AppConfig {
  const r = new Reader(env);
  const nodeEnv = r.oneOf<NodeEnv>('NODE_ENV', ['development', 'test', 'production'], 'development');
  const eventStoreConnectionString = r.optional('EVENTSTORE_CONNECTION_STRING');
  if (eventStoreConnectionString && !/^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kdb):\/\//.test(eventStoreConnectionString)) {
    r.problems.push('EVENTSTORE_CONNECTION_STRING must start with esdb:// or esdb+discover:// (or the kurrentdb equivalents)');
  }
  const config: AppConfig = {
    nodeEnv,
    host: r.string('HOST', '0.0.0.0'),
    port: r.int('PORT', 3000, 0, 65535),
    logLevel: r.oneOf<LogLevel>('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    databaseUrl: r.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/tollgate', ['postgres:', 'postgresql:']),
    databasePoolMax: r.int('DATABASE_POOL_MAX', 10, 1, 200),
    redisUrl: r.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    eventStoreConnectionString,
    eventStorePollIntervalMs: r.int('EVENTSTORE_POLL_INTERVAL_MS', 100, 5, 60_000),
    projectionBatchMax: r.int('PROJECTION_BATCH_MAX', 500, 1, 10_000),
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    // Secrets have no default in production: a deployment that forgets one must not boot.
    appSecret: r.string('APP_SECRET', nodeEnv === 'production' ? null : DEV_APP_SECRET),
  };
  if (config.appSecret && config.appSecret.length < 32) r.problems.push('APP_SECRET must be at least 32 characters');
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

export const APP_CONFIG = Symbol('AppConfig');
