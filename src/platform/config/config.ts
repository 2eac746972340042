import { isIP } from 'node:net';
import { MAX_EVENTS_PER_APPEND } from '../store-limits';
import { formatUsd, MAX_AMOUNT_MICRO_USD, parseUsd } from '../money';
import { parseShareOverrides, RevenueSplitRules } from './revenue-split-settings';
import { parseRedisCluster, RedisClusterConfig } from './redis-url';
import { DEFAULT_TOKENIZER_RULES, parseTokenizerRules, TokenizerRule } from './tokenizer-settings';

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
  /** null = JSON lines on stdout (the default); a path = appended to that file instead. */
  logFile: string | null;
  databaseUrl: string;
  databasePoolMax: number;
  /** One server's URL, or the seed list of a cluster as given (see redisCluster). */
  redisUrl: string;
  /** Set when REDIS_URL lists several nodes: every connection is then an ioredis Cluster (platform/redis/redis-client.ts). */
  redisCluster: RedisClusterConfig | null;
  /** Prefix of the Redis keys that hold shared state (credit holds; more to come), so deployments can share a Redis. */
  redisKeyPrefix: string;
  /** Set → EventStoreDB adapter; unset → the PostgreSQL event store. */
  eventStoreConnectionString: string | null;
  /** How often an idle PostgreSQL subscription polls for events committed by other processes. */
  eventStorePollIntervalMs: number;
  projectionBatchMax: number;
  shutdownTimeoutMs: number;
  /** Master secret; purpose-specific keys (key hashing, identity hashing, sessions) are derived from it. */
  appSecret: string;
  /** Express `trust proxy`: a hop count (0 = the socket address is the client) or a list of proxy addresses/subnets. */
  trustProxy: number | string;
  /** Strict-Transport-Security max-age on responses that came over TLS; 0 = no header. */
  hstsMaxAgeSeconds: number;
  /** Where the dashboard lives; Google sign-in redirects there. null → the callback answers JSON. */
  appUrl: string | null;
  /** Lifetime of an access JWT (the `tg_session` cookie). */
  sessionAccessTtlSeconds: number;
  /** Lifetime of a session and its refresh token, counted from sign-in (not extended by refreshing). */
  sessionRefreshTtlSeconds: number;
  /** An account without a password may set one only from a session signed in this recently. */
  recentSignInSeconds: number;
  /** Failed password sign-ins: a fixed window, counted per account (email) and per client IP. */
  loginFailureWindowSeconds: number;
  loginMaxFailuresPerAccount: number;
  loginMaxFailuresPerIp: number;
  /** null = Google sign-in disabled (its routes answer 404). */
  google: GoogleSignInConfig | null;
  /** null = Telegram sign-in disabled (its route answers 404). */
  telegramBotToken: string | null;
  telegramAuthMaxAgeSeconds: number;
  ledger: LedgerConfig;
  inference: InferenceConfig;
  /** GPU nodes: heartbeats, the liveness sweep, the router and the price cache. */
  nodes: NodesConfig;
  /** null = payments disabled (no Razorpay key): their routes answer 404 and no queue runs. */
  payments: PaymentsConfig | null;
  /** null = crypto top-ups disabled (no Coinbase Commerce key): their routes answer 404. */
  crypto: CryptoConfig | null;
  metering: MeteringConfig;
  /** What keeps charges trustworthy when nodes are not: bounds, hold and request lives, recovery (docs/trusting-nodes.md). */
  charges: ChargesConfig;
  payouts: PayoutsConfig;
  privacy: PrivacyConfig;
  retention: RetentionConfig;
  kyc: KycConfig;
  requests: RequestsConfig;
  security: SecurityConfig;
  nodeTrust: NodeTrustConfig;
  mail: MailConfig;
  /** Where this API is reached from outside: the links in mails point here. */
  publicUrl: string;
  legal: LegalConfig;
}

/** Policy versions and sign-up agreements (src/legal). */
export interface LegalConfig {
  /** A published policy version takes effect at least this many days after it is published. */
  noticeDays: number;
  /** In force while no version of that kind has been published (a fresh install). */
  termsVersion: string;
  privacyVersion: string;
  providerTermsVersion: string;
  /** How often the worker looks for policy notices still to queue. */
  noticeSweepIntervalMs: number;
}

/** What every request body must be (src/platform/http/request-text.ts, the /v1 gateway's reader). */
export interface MailConfig {
  /** null: no SMTP relay (mails go to `dir`, or only a metadata log line when that is null too). */
  smtpUrl: string | null;
  from: string;
  /** A folder of .eml files (development's default sink). */
  dir: string | null;
  smtpTimeoutMs: number;
  /** Refuse a relay that does not offer STARTTLS on smtp: (P20; production). */
  requireTls: boolean;
  jobAttempts: number;
  jobBackoffMs: number;
  /** How long a sign-up's emailed link works. */
  signUpLinkTtlMs: number;
  /** Sign-up mails to one address per hour, so the form cannot be used to flood someone's inbox. */
  signUpMailsPerAddressPerHour: number;
  /** A provider is mailed once per outage when an approved node has been offline this long. */
  nodeOfflineNoticeMs: number;
  /** How often the worker looks for such outages. */
  nodeOfflineCheckEveryMs: number;
}

export interface RequestsConfig {
  /** Deepest nesting of arrays and objects accepted in a JSON body (and query string). */
  jsonMaxDepth: number;
}

/** Hardening (issue 15; docs/security.md): four eyes on money, node addresses, per-account limits, the metrics listener. */
export interface SecurityConfig {
  /** Refunds and manual credit grants (and positive corrections) above this wait for a second staff member. */
  approvalThresholdMicroUsd: bigint;
  /** Node endpoint URLs: https only (production); internal ranges the operator allows (never cloud metadata). */
  nodeEndpoints: { requireHttps: boolean; allowedCidrs: string[] };
  /** Per account, over all its keys, enforced in the same Redis call as the per-key limit. */
  accountLimits: { requestsPerMinute: number; tokensPerMinute: number; concurrentStreams: number; streamSlotTtlMs: number };
  /** /metrics is served only on this internal listener, never on the public port. Port 0 = any free port (tests). */
  metrics: { host: string; port: number };
}

/** Node honesty (src/nodes/trust, docs/trusting-nodes.md): the gateway's own count, probes, reputation. */
export interface NodeTrustConfig {
  counting: {
    /** Model pattern → tokenizer, first match wins; a model no rule matches is not counted. */
    tokenizers: TokenizerRule[];
    /** Worker threads that tokenize relayed output (off the event loop that serves requests). */
    workers: number;
    /** Responses waiting to be counted, per process; past it a response is not counted (metric). */
    queueMax: number;
    /** A response larger than this is not kept for counting (bounds the memory a stream holds). */
    maxResponseBytes: number;
    /** A node's counting window closes once this many tokens were counted (or at the flush). */
    windowTokens: number;
    /** Fewer counted tokens than this in a window: recorded, but too few to call it drift. */
    minTokens: number;
    flushMs: number;
    /** |reported − counted| above this share of counted (basis points) plus the slack is drift. */
    driftToleranceBps: number;
    /** Tokens per request a node may report beyond the count (end-of-sequence, tool-call markers). */
    driftSlackPerRequest: number;
  };
  probes: {
    /** Each approved, live node is probed once per interval for each of its models; 0 = no probes. */
    intervalMs: number;
    /** Upper bound of max_tokens on a probe (each probe picks a realistic value up to it). */
    maxTokens: number;
    /** Two greedy answers agree when their first this-many words are the same (or both are that short and equal). */
    agreementWords: number;
    /** Fewest answering nodes for a majority to be the reference when no reference node answered. */
    quorum: number;
    /** Nodes the platform runs and trusts: their answer is the reference for their models. */
    referenceNodes: string[];
    timeoutMs: number;
    /** Probe requests in flight at once from one worker. */
    concurrency: number;
  };
  review: {
    /** How often the worker compares every approved node's record with the thresholds. */
    intervalMs: number;
    /** The last this-many judged probes of a node are looked at… */
    probeWindow: number;
    /** …and this many of them differing from the reference suspends it. */
    probeFailuresToSuspend: number;
    /** Discrepancies (any kind) within this window… */
    discrepancyWindowMs: number;
    /** …at or above this count suspend the node. */
    discrepanciesToSuspend: number;
  };
}

/** Provider payouts (src/payouts). */
export interface PayoutsConfig {
  /** Smallest payout a provider may request. */
  minimumMicroUsd: bigint;
  /** Earnings younger than this are held back (they may still be disputed) and cannot be paid out yet. */
  holdbackMs: number;
}

/** Data rights (P7, P9, P10). */
export interface PrivacyConfig {
  /** Days between a deletion request and its completion; the request can be cancelled meanwhile. */
  deletionGraceDays: number;
  /** How often the worker's BullMQ job completes deletions that are due. */
  deletionSweepIntervalMs: number;
}

export interface RetentionConfig {
  /** Request-level usage detail is rolled up into a day summary, then removed, after this many days (P5). */
  usageDetailDays: number;
  /** Sign-in records (sealed IP and user agent) are removed after this many days (P16). */
  signInDays: number;
  /** Payment and ledger records are never removed by the sweep; older ones are only counted and reported (P6). */
  paymentRecordYears: number;
  /** Rows of the mail log (metadata of each mail: id, category, outcome, time) are removed after this many days. */
  mailLogDays: number;
  /** BullMQ schedule of the sweep: an interval in ms, or a cron pattern. */
  sweep: { everyMs: number } | { pattern: string };
  /** Streams of each kind one sweep handles at most; the next run continues. */
  streamsPerSweep: number;
  /** A usage day with more events than this is left alone (and logged): it would not fit one roll-up in memory. */
  maxEventsPerDay: number;
}

/** Optional identity verification (P17). */
export interface KycConfig {
  /** true → payment orders and new API keys are refused until the account's KYC is verified. */
  required: boolean;
  /** How long after the last decision (verified or rejected) the numbers are kept before their key is shredded. */
  retentionMs: number;
  /** How often the worker's BullMQ sweep shreds numbers whose window ended. */
  sweepIntervalMs: number;
}

export interface InferenceConfig {
  maxBodyBytes: number;
  maxResponseBytes: number;
  maxOutputTokens: number;
  /** Sent upstream when a request sets no max_tokens, so every charge is bounded. */
  defaultMaxTokens: number;
  defaultRequestsPerMinute: number;
  defaultTokensPerMinute: number;
  /** Time allowed for a node's response headers before failing over. */
  upstreamFirstByteTimeoutMs: number;
  /** Longest silence inside a response before it is cut. */
  upstreamIdleTimeoutMs: number;
}

/** Shared by every top-up processor (Razorpay, Coinbase Commerce): limits, the sweep and the payments queue. */
export interface TopUpSettings {
  topupMinMicroUsd: bigint;
  topupMaxMicroUsd: bigint;
  /** How often the sweep looks up orders that are still pending. */
  sweepIntervalMs: number;
  /** Orders older than this are no longer swept (the daily report still covers them). */
  sweepMaxAgeHours: number;
  /** Attempts per job (first + retries, exponential backoff from jobBackoffMs). */
  jobAttempts: number;
  jobBackoffMs: number;
  /** A job whose worker stops renewing its lock for this long is taken over by another worker. */
  jobLockMs: number;
}

/** Coinbase Commerce (crypto top-ups, src/payments/crypto/). */
export interface CryptoConfig extends TopUpSettings {
  apiKey: string;
  webhookSecret: string;
  /** Coinbase Commerce's API origin; tests point it at the stand-in. */
  apiUrl: string;
  apiTimeoutMs: number;
}

export interface PaymentsConfig extends TopUpSettings {
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  /** The secret before a rotation; webhooks signed with it are still accepted while it is set. */
  webhookSecretPrevious: string | null;
  /** Razorpay's API origin (the SDK's axios baseURL); tests point it at the stand-in. */
  apiUrl: string;
  /** Razorpay Checkout's script, loaded by the console's top-up page; the console's CSP allows its origin. */
  checkoutUrl: string;
  apiTimeoutMs: number;
  topupMinMicroUsd: bigint;
  topupMaxMicroUsd: bigint;
  /** How often the sweep looks up orders that are still pending. */
  sweepIntervalMs: number;
  /** Orders older than this are no longer swept (the daily report still covers them). */
  sweepMaxAgeHours: number;
  /** Cron pattern (UTC) of the daily reconciliation report of the previous day. */
  reportCron: string;
  /** Attempts per job (first + retries, exponential backoff from jobBackoffMs). */
  jobAttempts: number;
  jobBackoffMs: number;
  /** A job whose worker stops renewing its lock for this long is taken over by another worker. */
  jobLockMs: number;
}

/** Group commit of the UsageRecorded charges (src/metering/usage-batcher.ts). */
export interface MeteringConfig {
  /** Most charges written in one batch (one event-store transaction on PostgreSQL). */
  usageBatchMax: number;
  /** Most charges waiting for a batch; past it a charge is refused at once (503 metering_overloaded). */
  usageQueueMax: number;
}

/** Trusting nodes with money (docs/trusting-nodes.md, "Settings"). */
export interface ChargesConfig {
  /** A credit reservation's life. Every request ends, and its charge is stored or recovered, before it lapses. */
  holdTtlMs: number;
  /** A charge settled in Redis but still not in the cached balance after this long pauses spending on its account (503). */
  feederMaxLagMs: number;
  /** Longest a /v1 request may run from its reservation to its last byte: waiting for a node, its silences and a slow client included. */
  maxRequestMs: number;
  /** Longest the gateway waits for a client that stopped reading before cutting it off (charged for what was relayed). */
  clientDrainTimeoutMs: number;
  /** Tokens the prompt bound allows beyond the forwarded body's bytes, for what chat templates inject. */
  promptAllowanceTokens: number;
  /** Tokens the prompt bound allows per non-text content part (an image or audio URL a node expands). */
  mediaPartTokens: number;
  /** How often workers charge requests from their durable intents. */
  recoveryIntervalMs: number;
  /** How long after a request's time bound its own charge may still be on its way before recovery charges it from the intent. */
  recoveryGraceMs: number;
  /** Test-only fault injection (NODE_ENV=test): the gateway pauses this long between a stream's last byte and its charge; 0 = never. */
  testPauseBeforeChargeMs: number;
}

export interface LedgerConfig {
  /** Credits granted once per account created by a verified identity (Google, Telegram, a proven email); 0 = no free tier. */
  freeTierMicroUsd: bigint;
  revenueSplit: RevenueSplitRules;
}

export interface NodesConfig {
  /** A node is live while its last heartbeat is younger than this (the Redis key's TTL). */
  heartbeatTtlMs: number;
  /** How often agents are asked to heartbeat (sent back in each heartbeat answer). */
  heartbeatIntervalMs: number;
  /** How often the worker's BullMQ sweep records nodes going offline / coming online. */
  sweepIntervalMs: number;
  /** Key prefix of BullMQ queues in Redis (tests use a random one per app). */
  queuePrefix: string;
  /** Most age of the in-memory node list (approved nodes, models, endpoints) on each instance. */
  registryRefreshMs: number;
  /** Most age of the in-memory price book. */
  priceRefreshMs: number;
  /** Cooldown after a node's first consecutive failure; doubles with each further one, up to the max. */
  cooldownBaseMs: number;
  cooldownMaxMs: number;
  /** Nodes tried for one request before the caller gets an error (failover happens only before the first byte). */
  dispatchMaxAttempts: number;
  /** Time a node has to answer with response headers before the attempt counts as failed. */
  attemptTimeoutMs: number;
  /** Upstream API vendors (src/upstreams): probe period, how long a probe keeps one live, routing preference. */
  upstreams: UpstreamsConfig;
  /** Nodes behind NAT: the agents' outbound tunnels and the instance-to-instance relay hop (src/nodes/tunnel). */
  tunnel: TunnelConfig;
}

export interface TunnelConfig {
  /** How long Redis remembers which instance holds a node's tunnel without a refresh (refreshed every third of it). */
  holderTtlMs: number;
  /** The internal relay listener (never the public port): other instances send requests for our tunnels here. */
  relayHost: string;
  /** 0 = any free port (tests). */
  relayPort: number;
  /** How other instances reach this one's relay listener; null = http://relayHost:port (loopback: one machine). */
  relayUrl: string | null;
  /** Shared by every API instance; null = derived from APP_SECRET (which they share anyway). */
  relaySecret: string | null;
}

/** Which nodes a model's requests go to first when community nodes and upstreams both serve it. */
export type UpstreamPreference = 'community_first' | 'upstream_first' | 'mixed';
export const UPSTREAM_PREFERENCES: readonly UpstreamPreference[] = ['community_first', 'upstream_first', 'mixed'];

export interface UpstreamsConfig {
  /** How often the worker probes every upstream with `GET {baseUrl}/models`. */
  probeIntervalMs: number;
  /** A successful probe keeps an upstream live this long (the liveness key's TTL). */
  liveTtlMs: number;
  /** A probe gives up after this. */
  probeTimeoutMs: number;
  /** The most a vendor's Retry-After may rest an upstream. */
  retryAfterMaxMs: number;
  preference: UpstreamPreference;
  /** Per model: `UPSTREAM_PREFERENCE_OVERRIDES=model:llama3:8b=upstream_first,…`. */
  preferenceByModel: Record<string, UpstreamPreference>;
}

export interface GoogleSignInConfig {
  clientId: string;
  clientSecret: string;
  /** Must be listed exactly as an authorised redirect URI of the OAuth client. */
  callbackUrl: string;
  authUrl: string;
  tokenUrl: string;
  userInfoUrl: string;
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

  /** The raw value when set, even empty (where empty means something, e.g. "count no model"). */
  raw(name: string): string | undefined {
    return this.env[name]?.trim();
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
    this.checkUrl(name, raw, protocols);
    return raw;
  }

  optionalUrl(name: string, protocols: string[]): string | null {
    const raw = this.optional(name);
    if (raw !== null) this.checkUrl(name, raw, protocols);
    return raw;
  }

  private checkUrl(name: string, raw: string, protocols: string[]): void {
    try {
      const url = new URL(raw);
      if (!protocols.includes(url.protocol)) {
        this.problems.push(`${name} must use ${protocols.join(' or ')} (got "${url.protocol}")`);
      }
    } catch {
      this.problems.push(`${name} is not a valid URL`);
    }
  }

  /** A hop count, or a comma-separated list of addresses, subnets or Express names (loopback, uniquelocal…). */
  trustProxy(name: string): number | string {
    const raw = this.optional(name);
    if (raw === null) return 0;
    if (/^\d+$/.test(raw) && Number(raw) <= 10) return Number(raw);
    // `true` (trust every hop) would let any client choose its own IP and escape per-IP limits.
    if (/^[0-9A-Za-z.:/]+(\s*,\s*[0-9A-Za-z.:/]+)*$/.test(raw) && raw !== 'true') return raw;
    this.problems.push(`${name} must be a hop count 0..10 or a comma-separated list of proxy addresses/subnets (got "${raw}")`);
    return 0;
  }
}

/** Google's real endpoints; tests point these at a stand-in speaking the same protocol. */
const GOOGLE_AUTH_URL = 'https://accounts.google.com/o/oauth2/v2/auth';
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const GOOGLE_USERINFO_URL = 'https://openidconnect.googleapis.com/v1/userinfo';

/** All or nothing: a client id without its secret or callback is a mistake, not "disabled". */
function readGoogle(r: Reader, production: boolean): GoogleSignInConfig | null {
  const web = production ? ['https:'] : ['https:', 'http:'];
  const clientId = r.optional('GOOGLE_CLIENT_ID');
  const clientSecret = r.optional('GOOGLE_CLIENT_SECRET');
  const callbackUrl = r.optionalUrl('GOOGLE_CALLBACK_URL', web);
  const authUrl = r.url('GOOGLE_AUTH_URL', GOOGLE_AUTH_URL, web);
  const tokenUrl = r.url('GOOGLE_TOKEN_URL', GOOGLE_TOKEN_URL, web);
  const userInfoUrl = r.url('GOOGLE_USERINFO_URL', GOOGLE_USERINFO_URL, web);
  if (!clientId) {
    if (clientSecret) r.problems.push('GOOGLE_CLIENT_SECRET is set but GOOGLE_CLIENT_ID is not');
    return null;
  }
  if (!clientSecret) r.problems.push('GOOGLE_CLIENT_SECRET is required when GOOGLE_CLIENT_ID is set');
  if (!callbackUrl) r.problems.push('GOOGLE_CALLBACK_URL is required when GOOGLE_CLIENT_ID is set');
  return { clientId, clientSecret: clientSecret ?? '', callbackUrl: callbackUrl ?? '', authUrl, tokenUrl, userInfoUrl };
}

function readLedger(r: Reader): LedgerConfig {
  const freeTier = r.string('FREE_TIER_USD', '1.00') ?? '0';
  const overrides = r.string('PROVIDER_SHARE_OVERRIDES', '') ?? '';
  const parsed = { freeTierMicroUsd: 0n, byModel: {}, byNode: {} } as { freeTierMicroUsd: bigint; byModel: Record<string, number>; byNode: Record<string, number> };
  try {
    parsed.freeTierMicroUsd = parseUsd(freeTier, 'FREE_TIER_USD');
    if (parsed.freeTierMicroUsd < 0n || parsed.freeTierMicroUsd > 1_000n * 1_000_000n) r.problems.push('FREE_TIER_USD must be in 0..1000');
  } catch {
    r.problems.push(`FREE_TIER_USD must be a USD amount like "1.00" (got "${freeTier}")`);
  }
  try {
    Object.assign(parsed, parseShareOverrides(overrides));
  } catch (err) {
    r.problems.push(`PROVIDER_SHARE_OVERRIDES: ${(err as Error).message}`);
  }
  return {
    freeTierMicroUsd: parsed.freeTierMicroUsd,
    revenueSplit: { defaultProviderShareBps: r.int('PROVIDER_SHARE_BPS', 7_000, 0, 10_000), byModel: parsed.byModel, byNode: parsed.byNode },
  };
}

function readNodes(r: Reader): NodesConfig {
  const nodes: NodesConfig = {
    heartbeatTtlMs: r.int('NODE_HEARTBEAT_TTL_MS', 15_000, 100, 600_000),
    heartbeatIntervalMs: r.int('NODE_HEARTBEAT_INTERVAL_MS', 5_000, 20, 300_000),
    sweepIntervalMs: r.int('NODE_SWEEP_INTERVAL_MS', 5_000, 50, 600_000),
    queuePrefix: r.string('BULLMQ_PREFIX', 'tollgate:bull'),
    registryRefreshMs: r.int('NODE_REGISTRY_REFRESH_MS', 2_000, 10, 600_000),
    priceRefreshMs: r.int('PRICE_REFRESH_MS', 5_000, 10, 600_000),
    cooldownBaseMs: r.int('NODE_COOLDOWN_BASE_MS', 1_000, 10, 600_000),
    cooldownMaxMs: r.int('NODE_COOLDOWN_MAX_MS', 60_000, 10, 3_600_000),
    dispatchMaxAttempts: r.int('NODE_DISPATCH_MAX_ATTEMPTS', 3, 1, 10),
    attemptTimeoutMs: r.int('NODE_ATTEMPT_TIMEOUT_MS', 10_000, 100, 600_000),
    upstreams: readUpstreams(r),
    tunnel: {
      holderTtlMs: r.int('TUNNEL_HOLDER_TTL_MS', 15_000, 300, 600_000),
      relayHost: r.string('TUNNEL_RELAY_HOST', '127.0.0.1'),
      relayPort: r.int('TUNNEL_RELAY_PORT', 9466, 0, 65_535),
      relayUrl: r.optionalUrl('TUNNEL_RELAY_URL', ['http:', 'https:']),
      relaySecret: r.optional('TUNNEL_RELAY_SECRET'),
    },
  };
  if (nodes.tunnel.relaySecret !== null && nodes.tunnel.relaySecret.length < 32) r.problems.push('TUNNEL_RELAY_SECRET must be at least 32 characters');
  if (nodes.heartbeatIntervalMs >= nodes.heartbeatTtlMs) r.problems.push('NODE_HEARTBEAT_INTERVAL_MS must be shorter than NODE_HEARTBEAT_TTL_MS');
  if (nodes.cooldownMaxMs < nodes.cooldownBaseMs) r.problems.push('NODE_COOLDOWN_MAX_MS must be at least NODE_COOLDOWN_BASE_MS');
  if (!/^[A-Za-z0-9:_-]{1,64}$/.test(nodes.queuePrefix)) r.problems.push('BULLMQ_PREFIX must be 1..64 of A-Z a-z 0-9 : _ -');
  return nodes;
}

function readUpstreams(r: Reader): UpstreamsConfig {
  const probeIntervalMs = r.int('UPSTREAM_PROBE_INTERVAL_MS', 30_000, 50, 3_600_000);
  const preferenceByModel: Record<string, UpstreamPreference> = {};
  const raw = r.string('UPSTREAM_PREFERENCE_OVERRIDES', '') ?? '';
  for (const item of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .slice(0, 1_000)) {
    const eq = item.lastIndexOf('=');
    const model = item.startsWith('model:') && eq > 6 ? item.slice(6, eq) : '';
    const value = item.slice(eq + 1) as UpstreamPreference;
    if (!model || !UPSTREAM_PREFERENCES.includes(value))
      r.problems.push(`UPSTREAM_PREFERENCE_OVERRIDES: "${item.slice(0, 200)}" is not model:<id>=${UPSTREAM_PREFERENCES.join('|')}`);
    else preferenceByModel[model] = value;
  }
  return {
    probeIntervalMs,
    liveTtlMs: r.int('UPSTREAM_LIVE_TTL_MS', probeIntervalMs * 3, probeIntervalMs + 1, 24 * 3_600_000),
    probeTimeoutMs: r.int('UPSTREAM_PROBE_TIMEOUT_MS', 5_000, 50, 60_000),
    retryAfterMaxMs: r.int('UPSTREAM_RETRY_AFTER_MAX_MS', 300_000, 0, 3_600_000),
    preference: r.oneOf<UpstreamPreference>('UPSTREAM_PREFERENCE', UPSTREAM_PREFERENCES, 'community_first'),
    preferenceByModel,
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

function readPayouts(r: Reader): PayoutsConfig {
  const raw = r.string('PAYOUT_MINIMUM_USD', '10.00');
  let minimumMicroUsd = 10_000_000n;
  try {
    minimumMicroUsd = parseUsd(raw, 'PAYOUT_MINIMUM_USD');
    if (minimumMicroUsd <= 0n || minimumMicroUsd > MAX_AMOUNT_MICRO_USD) throw new Error('range');
  } catch {
    r.problems.push(`PAYOUT_MINIMUM_USD must be a USD amount above 0 and at most ${formatUsd(MAX_AMOUNT_MICRO_USD)}, e.g. "10.00" (got "${raw}")`);
  }
  return { minimumMicroUsd, holdbackMs: r.int('PAYOUT_HOLDBACK_DAYS', 7, 0, 365) * DAY_MS };
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** `10.0.0.0/8,127.0.0.0/8,::1/128`: checked here; matched by src/nodes/endpoint-guard. */
function readCidrs(r: Reader, name: string): string[] {
  const raw = r.string(name, '');
  const cidrs = raw
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  for (const cidr of cidrs) {
    const v4 = IPV4_CIDR.exec(cidr);
    const slash = cidr.lastIndexOf('/');
    const v6 = !v4 && slash > 0 && isIP(cidr.slice(0, slash)) === 6 && /^\d{1,3}$/.test(cidr.slice(slash + 1)) && Number(cidr.slice(slash + 1)) <= 128;
    const v4ok = v4 !== null && v4.slice(1, 5).every((o) => Number(o) <= 255) && Number(v4[5]) <= 32;
    if (!v4ok && !v6) r.problems.push(`${name}: "${cidr}" is not an IPv4 or IPv6 CIDR range (e.g. 10.0.0.0/8, fd00::/8)`);
  }
  return cidrs;
}

function readSecurity(r: Reader, production: boolean): SecurityConfig {
  const raw = r.string('APPROVAL_THRESHOLD_USD', '100.00');
  let approvalThresholdMicroUsd = 100_000_000n;
  try {
    approvalThresholdMicroUsd = parseUsd(raw, 'APPROVAL_THRESHOLD_USD');
    if (approvalThresholdMicroUsd < 0n || approvalThresholdMicroUsd > MAX_AMOUNT_MICRO_USD) throw new Error('range');
  } catch {
    r.problems.push(`APPROVAL_THRESHOLD_USD must be a USD amount from 0 (every refund and grant needs a second approver) to ${formatUsd(MAX_AMOUNT_MICRO_USD)} (got "${raw}")`);
  }
  return {
    approvalThresholdMicroUsd,
    nodeEndpoints: { requireHttps: production, allowedCidrs: readCidrs(r, 'NODE_ALLOWED_CIDRS') },
    accountLimits: {
      requestsPerMinute: r.int('ACCOUNT_RATE_LIMIT_REQUESTS_PER_MINUTE', 3_000, 1, 10_000_000),
      tokensPerMinute: r.int('ACCOUNT_RATE_LIMIT_TOKENS_PER_MINUTE', 10_000_000, 1, 10_000_000_000),
      concurrentStreams: r.int('ACCOUNT_MAX_CONCURRENT_STREAMS', 100, 1, 100_000),
      streamSlotTtlMs: r.int('ACCOUNT_STREAM_SLOT_TTL_SECONDS', 900, 10, 86_400) * 1000,
    },
    metrics: { host: r.string('METRICS_HOST', '127.0.0.1'), port: r.int('METRICS_PORT', 9464, 0, 65535) },
  };
}

/** Production names its own sink (an SMTP relay, or a folder on purpose); development writes .eml files to var/mail. */
function readMail(r: Reader, nodeEnv: NodeEnv): MailConfig {
  const smtpUrl = r.optionalUrl('SMTP_URL', ['smtp:', 'smtps:']);
  const dir = nodeEnv === 'development' ? r.string('MAIL_DIR', 'var/mail') : r.optional('MAIL_DIR');
  if (nodeEnv === 'production' && !smtpUrl && !dir) r.problems.push('SMTP_URL is required in production (or MAIL_DIR, to write mails to a folder on purpose)');
  return {
    smtpUrl,
    from: r.string('MAIL_FROM', 'Tollgate <no-reply@localhost>'),
    dir,
    smtpTimeoutMs: r.int('SMTP_TIMEOUT_MS', 10_000, 100, 120_000),
    requireTls: nodeEnv === 'production',
    jobAttempts: r.int('MAIL_JOB_ATTEMPTS', 8, 1, 50),
    jobBackoffMs: r.int('MAIL_JOB_BACKOFF_MS', 5_000, 10, 3_600_000),
    signUpLinkTtlMs: r.int('SIGN_UP_LINK_TTL_HOURS', 24, 1, 168) * 3_600_000,
    signUpMailsPerAddressPerHour: r.int('SIGN_UP_MAILS_PER_ADDRESS_PER_HOUR', 5, 1, 1_000),
    nodeOfflineNoticeMs: r.int('NODE_OFFLINE_NOTICE_MINUTES', 30, 1, 10_080) * 60_000,
    nodeOfflineCheckEveryMs: r.int('NODE_OFFLINE_CHECK_EVERY_MS', 60_000, 50, 3_600_000),
  };
}

const POLICY_VERSION = /^[A-Za-z0-9._-]{1,40}$/;

function readLegal(r: Reader): LegalConfig {
  const version = (name: string): string => {
    const value = r.string(name, '1');
    if (!POLICY_VERSION.test(value)) r.problems.push(`${name} must be 1..40 letters, digits, ".", "_" or "-" (got "${value.slice(0, 50)}")`);
    return value;
  };
  return {
    noticeDays: r.int('POLICY_NOTICE_DAYS', 30, 0, 365),
    termsVersion: version('TERMS_VERSION'),
    privacyVersion: version('PRIVACY_VERSION'),
    providerTermsVersion: version('PROVIDER_TERMS_VERSION'),
    noticeSweepIntervalMs: r.int('POLICY_NOTICE_SWEEP_INTERVAL_SECONDS', 60, 1, 86_400) * 1000,
  };
}

/** Never taken from a request's Host header: a forged Host would put an attacker's site in our mails. */
function readPublicUrl(r: Reader, nodeEnv: NodeEnv, port: number): string {
  if (nodeEnv === 'production' && !r.optional('PUBLIC_URL')) {
    r.problems.push('PUBLIC_URL is required in production (the links in mails point there)');
    return '';
  }
  const url = r.url('PUBLIC_URL', `http://localhost:${port}`, nodeEnv === 'production' ? ['https:'] : ['https:', 'http:']);
  return url.replace(/\/+$/, '');
}

const RAZORPAY_API_URL = 'https://api.razorpay.com';
export const RAZORPAY_CHECKOUT_URL = 'https://checkout.razorpay.com/v1/checkout.js';

function readTopUps(r: Reader): TopUpSettings {
  const usd = (name: string, fallback: string): bigint => {
    const raw = r.string(name, fallback);
    try {
      const micro = parseUsd(raw, name);
      if (micro < 1_000_000n || micro % 10_000n !== 0n) throw new Error('range');
      return micro;
    } catch {
      r.problems.push(`${name} must be a USD amount of at least 1.00 in whole cents (got "${raw}")`);
      return parseUsd(fallback);
    }
  };
  const settings: TopUpSettings = {
    topupMinMicroUsd: usd('TOPUP_MIN_USD', '5.00'),
    topupMaxMicroUsd: usd('TOPUP_MAX_USD', '1000.00'),
    sweepIntervalMs: r.int('PAYMENTS_SWEEP_INTERVAL_SECONDS', 300, 5, 86_400) * 1000,
    sweepMaxAgeHours: r.int('PAYMENTS_SWEEP_MAX_AGE_HOURS', 72, 1, 24 * 30),
    jobAttempts: r.int('PAYMENTS_JOB_ATTEMPTS', 8, 1, 50),
    jobBackoffMs: r.int('PAYMENTS_JOB_BACKOFF_MS', 2_000, 10, 600_000),
    jobLockMs: r.int('PAYMENTS_JOB_LOCK_MS', 30_000, 500, 600_000),
  };
  if (settings.topupMinMicroUsd > settings.topupMaxMicroUsd) r.problems.push('TOPUP_MIN_USD must not exceed TOPUP_MAX_USD');
  return settings;
}

/** All or nothing, like Google: a key id without its secrets is a mistake, not "disabled". */
function readPayments(r: Reader, production: boolean, settings: TopUpSettings): PaymentsConfig | null {
  const keyId = r.optional('RAZORPAY_KEY_ID');
  const keySecret = r.optional('RAZORPAY_KEY_SECRET');
  const webhookSecret = r.optional('RAZORPAY_WEBHOOK_SECRET');
  const webhookSecretPrevious = r.optional('RAZORPAY_WEBHOOK_SECRET_PREVIOUS');
  const apiUrl = r.url('RAZORPAY_API_URL', RAZORPAY_API_URL, production ? ['https:'] : ['https:', 'http:']);
  const checkoutUrl = r.url('RAZORPAY_CHECKOUT_URL', RAZORPAY_CHECKOUT_URL, production ? ['https:'] : ['https:', 'http:']);
  const config: PaymentsConfig = {
    ...settings,
    keyId: keyId ?? '',
    keySecret: keySecret ?? '',
    webhookSecret: webhookSecret ?? '',
    webhookSecretPrevious,
    apiUrl: apiUrl.replace(/\/+$/, ''),
    checkoutUrl,
    apiTimeoutMs: r.int('RAZORPAY_API_TIMEOUT_MS', 10_000, 100, 120_000),
    reportCron: r.string('PAYMENTS_REPORT_CRON', '15 0 * * *'),
  };
  if (!/^(\S+\s+){4}\S+$/.test(config.reportCron)) r.problems.push('PAYMENTS_REPORT_CRON must be a 5-field cron pattern, e.g. "15 0 * * *"');
  if (!keyId) {
    for (const [name, value] of [
      ['RAZORPAY_KEY_SECRET', keySecret],
      ['RAZORPAY_WEBHOOK_SECRET', webhookSecret],
    ] as const) {
      if (value) r.problems.push(`${name} is set but RAZORPAY_KEY_ID is not`);
    }
    return null;
  }
  if (!keySecret) r.problems.push('RAZORPAY_KEY_SECRET is required when RAZORPAY_KEY_ID is set');
  if (!webhookSecret) r.problems.push('RAZORPAY_WEBHOOK_SECRET is required when RAZORPAY_KEY_ID is set');
  return config;
}

const COINBASE_COMMERCE_API_URL = 'https://api.commerce.coinbase.com';

/** All or nothing, like Razorpay: an API key without its webhook secret is a mistake, not "disabled". */
function readCrypto(r: Reader, production: boolean, settings: TopUpSettings): CryptoConfig | null {
  const apiKey = r.optional('COINBASE_COMMERCE_API_KEY');
  const webhookSecret = r.optional('COINBASE_COMMERCE_WEBHOOK_SECRET');
  const apiUrl = r.url('COINBASE_COMMERCE_API_URL', COINBASE_COMMERCE_API_URL, production ? ['https:'] : ['https:', 'http:']);
  const apiTimeoutMs = r.int('COINBASE_COMMERCE_API_TIMEOUT_MS', 10_000, 100, 120_000);
  if (!apiKey) {
    if (webhookSecret) r.problems.push('COINBASE_COMMERCE_WEBHOOK_SECRET is set but COINBASE_COMMERCE_API_KEY is not');
    return null;
  }
  if (!webhookSecret) r.problems.push('COINBASE_COMMERCE_WEBHOOK_SECRET is required when COINBASE_COMMERCE_API_KEY is set');
  return { ...settings, apiKey, webhookSecret: webhookSecret ?? '', apiUrl: apiUrl.replace(/\/+$/, ''), apiTimeoutMs };
}

function readRedis(r: Reader): Pick<AppConfig, 'redisUrl' | 'redisCluster'> {
  const raw = r.string('REDIS_URL', 'redis://127.0.0.1:6379');
  const cluster = parseRedisCluster(raw);
  if (cluster === null) return { redisUrl: r.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']), redisCluster: null };
  if (typeof cluster === 'string') r.problems.push(cluster);
  return { redisUrl: raw, redisCluster: typeof cluster === 'string' ? null : cluster };
}

export function loadConfig(env: Env): AppConfig {
  const r = new Reader(env);
  const topUps = readTopUps(r);
  const nodeEnv = r.oneOf<NodeEnv>('NODE_ENV', ['development', 'test', 'production'], 'development');
  const eventStoreConnectionString = r.optional('EVENTSTORE_CONNECTION_STRING');
  if (eventStoreConnectionString && !/^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kdb):\/\//.test(eventStoreConnectionString)) {
    r.problems.push('EVENTSTORE_CONNECTION_STRING must start with esdb:// or esdb+discover:// (or the kurrentdb equivalents)');
  }
  const port = r.int('PORT', 3000, 0, 65535);
  const config: AppConfig = {
    nodeEnv,
    host: r.string('HOST', '0.0.0.0'),
    port,
    logLevel: r.oneOf<LogLevel>('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    logFile: r.optional('LOG_FILE'),
    databaseUrl: r.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/tollgate', ['postgres:', 'postgresql:']),
    databasePoolMax: r.int('DATABASE_POOL_MAX', 10, 1, 200),
    ...readRedis(r),
    redisKeyPrefix: r.string('REDIS_KEY_PREFIX', 'tg:') ?? 'tg:',
    eventStoreConnectionString,
    eventStorePollIntervalMs: r.int('EVENTSTORE_POLL_INTERVAL_MS', 100, 5, 60_000),
    projectionBatchMax: r.int('PROJECTION_BATCH_MAX', 500, 1, 10_000),
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    // Secrets have no default in production: a deployment that forgets one must not boot.
    appSecret: r.string('APP_SECRET', nodeEnv === 'production' ? null : DEV_APP_SECRET),
    trustProxy: r.trustProxy('TRUST_PROXY'),
    hstsMaxAgeSeconds: r.int('HSTS_MAX_AGE_SECONDS', 365 * 24 * 60 * 60, 0, 2 * 365 * 24 * 60 * 60),
    appUrl: r.optionalUrl('APP_URL', nodeEnv === 'production' ? ['https:'] : ['https:', 'http:']),
    sessionAccessTtlSeconds: r.int('SESSION_ACCESS_TTL_SECONDS', 15 * 60, 60, 24 * 60 * 60),
    sessionRefreshTtlSeconds: r.int('SESSION_REFRESH_TTL_SECONDS', 30 * 24 * 60 * 60, 5 * 60, 365 * 24 * 60 * 60),
    recentSignInSeconds: r.int('RECENT_SIGN_IN_SECONDS', 5 * 60, 10, 24 * 60 * 60),
    loginFailureWindowSeconds: r.int('LOGIN_FAILURE_WINDOW_SECONDS', 15 * 60, 1, 24 * 60 * 60),
    loginMaxFailuresPerAccount: r.int('LOGIN_MAX_FAILURES_PER_ACCOUNT', 5, 1, 1_000),
    loginMaxFailuresPerIp: r.int('LOGIN_MAX_FAILURES_PER_IP', 30, 1, 100_000),
    // Sign-in secrets have no defaults anywhere: unset simply disables that sign-in method.
    google: readGoogle(r, nodeEnv === 'production'),
    telegramBotToken: r.optional('TELEGRAM_BOT_TOKEN'),
    telegramAuthMaxAgeSeconds: r.int('TELEGRAM_AUTH_MAX_AGE_SECONDS', 24 * 60 * 60, 60, 7 * 24 * 60 * 60),
    ledger: readLedger(r),
    inference: {
      maxBodyBytes: r.int('INFERENCE_MAX_BODY_BYTES', 4 * 1024 * 1024, 1_024, 64 * 1024 * 1024),
      maxResponseBytes: r.int('INFERENCE_MAX_RESPONSE_BYTES', 32 * 1024 * 1024, 1_024, 256 * 1024 * 1024),
      maxOutputTokens: r.int('INFERENCE_MAX_OUTPUT_TOKENS', 16_384, 1, 1_000_000),
      defaultMaxTokens: r.int('INFERENCE_DEFAULT_MAX_TOKENS', 1_024, 1, 1_000_000),
      defaultRequestsPerMinute: r.int('RATE_LIMIT_REQUESTS_PER_MINUTE', 600, 1, 1_000_000),
      defaultTokensPerMinute: r.int('RATE_LIMIT_TOKENS_PER_MINUTE', 2_000_000, 1, 1_000_000_000),
      upstreamFirstByteTimeoutMs: r.int('UPSTREAM_FIRST_BYTE_TIMEOUT_MS', 30_000, 100, 600_000),
      upstreamIdleTimeoutMs: r.int('UPSTREAM_IDLE_TIMEOUT_MS', 60_000, 100, 600_000),
    },
    nodes: readNodes(r),
    mail: readMail(r, nodeEnv),
    publicUrl: readPublicUrl(r, nodeEnv, port),
    payments: readPayments(r, nodeEnv === 'production', topUps),
    crypto: readCrypto(r, nodeEnv === 'production', topUps),
    privacy: {
      deletionGraceDays: r.int('PRIVACY_DELETION_GRACE_DAYS', 30, 0, 3_650),
      deletionSweepIntervalMs: r.int('PRIVACY_DELETION_SWEEP_INTERVAL_SECONDS', 3_600, 1, 86_400) * 1000,
    },
    kyc: {
      required: r.oneOf('KYC_REQUIRED', ['true', 'false'], 'false') === 'true',
      retentionMs: r.int('KYC_RETENTION_DAYS', 5 * 365, 1, 100 * 365) * DAY_MS,
      sweepIntervalMs: r.int('KYC_SWEEP_INTERVAL_SECONDS', 3_600, 1, 7 * 24 * 3_600) * 1000,
    },
    metering: {
      usageBatchMax: r.int('USAGE_BATCH_MAX', 500, 1, MAX_EVENTS_PER_APPEND),
      usageQueueMax: r.int('USAGE_QUEUE_MAX', 10_000, 1, 1_000_000),
    },
    charges: readCharges(r, nodeEnv),
    payouts: readPayouts(r),
    retention: readRetention(r),
    requests: {
      jsonMaxDepth: r.int('REQUEST_JSON_MAX_DEPTH', 64, 8, 1_000),
    },
    security: readSecurity(r, nodeEnv === 'production'),
    nodeTrust: readNodeTrust(r),
    legal: readLegal(r),
  };
  checkRequestFitsHold(r, config);
  if (config.telegramBotToken && !/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/.test(config.telegramBotToken)) {
    r.problems.push('TELEGRAM_BOT_TOKEN does not look like a bot token from @BotFather (<id>:<secret>)');
  }
  if (config.sessionRefreshTtlSeconds <= config.sessionAccessTtlSeconds) {
    r.problems.push('SESSION_REFRESH_TTL_SECONDS must be longer than SESSION_ACCESS_TTL_SECONDS');
  }
  if (config.inference.defaultMaxTokens > config.inference.maxOutputTokens) r.problems.push('INFERENCE_DEFAULT_MAX_TOKENS must not exceed INFERENCE_MAX_OUTPUT_TOKENS');
  if (!/^[A-Za-z0-9:_-]{1,64}$/.test(config.redisKeyPrefix)) r.problems.push('REDIS_KEY_PREFIX must be 1..64 letters, digits, ":", "_" or "-"');
  if (config.appSecret && config.appSecret.length < 32) r.problems.push('APP_SECRET must be at least 32 characters');
  if (config.security.metrics.port !== 0 && config.security.metrics.port === config.port)
    r.problems.push('METRICS_PORT must differ from PORT: /metrics is never served on the public port');
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

function readCharges(r: Reader, nodeEnv: NodeEnv): ChargesConfig {
  const charges: ChargesConfig = {
    holdTtlMs: r.int('CREDIT_HOLD_TTL_MS', 15 * 60_000, 1_000, DAY_MS),
    feederMaxLagMs: r.int('CREDIT_FEEDER_MAX_LAG_MS', 5 * 60_000, 1_000, DAY_MS),
    maxRequestMs: r.int('INFERENCE_MAX_REQUEST_MS', 10 * 60_000, 1_000, DAY_MS),
    clientDrainTimeoutMs: r.int('INFERENCE_CLIENT_DRAIN_TIMEOUT_MS', 30_000, 100, 3_600_000),
    promptAllowanceTokens: r.int('INFERENCE_PROMPT_ALLOWANCE_TOKENS', 512, 0, 100_000),
    mediaPartTokens: r.int('INFERENCE_MEDIA_PART_TOKENS', 4_096, 0, 1_000_000),
    recoveryIntervalMs: r.int('USAGE_RECOVERY_INTERVAL_MS', 10_000, 100, 3_600_000),
    recoveryGraceMs: r.int('USAGE_RECOVERY_GRACE_MS', 60_000, 100, 3_600_000),
    testPauseBeforeChargeMs: r.int('TEST_FAULT_PAUSE_BEFORE_CHARGE_MS', 0, 0, DAY_MS),
  };
  if (charges.testPauseBeforeChargeMs > 0 && nodeEnv !== 'test')
    r.problems.push('TEST_FAULT_PAUSE_BEFORE_CHARGE_MS is fault injection for tests; it is refused unless NODE_ENV=test');
  return charges;
}

/** No request, nor the recovery of its charge, may outlive the hold that pays for it (docs/trusting-nodes.md, "Holds"). */
function checkRequestFitsHold(r: Reader, config: AppConfig): void {
  const { charges, inference } = config;
  const lifeMs = charges.maxRequestMs + charges.recoveryGraceMs + charges.recoveryIntervalMs;
  if (lifeMs >= charges.holdTtlMs) {
    r.problems.push(
      `INFERENCE_MAX_REQUEST_MS + USAGE_RECOVERY_GRACE_MS + USAGE_RECOVERY_INTERVAL_MS (${lifeMs} ms) must be below CREDIT_HOLD_TTL_MS (${charges.holdTtlMs} ms): a request and the recovery of its charge must end before its hold lapses`,
    );
  }
  for (const [name, value] of [
    ['UPSTREAM_FIRST_BYTE_TIMEOUT_MS', inference.upstreamFirstByteTimeoutMs],
    ['UPSTREAM_IDLE_TIMEOUT_MS', inference.upstreamIdleTimeoutMs],
    ['INFERENCE_CLIENT_DRAIN_TIMEOUT_MS', charges.clientDrainTimeoutMs],
  ] as const) {
    if (value >= charges.maxRequestMs) r.problems.push(`${name} must be below INFERENCE_MAX_REQUEST_MS`);
  }
}

const NODE_ID = /^[0-9A-Za-z_-]{1,64}$/;

function readNodeTrust(r: Reader): NodeTrustConfig {
  let tokenizers: TokenizerRule[] = [];
  try {
    tokenizers = parseTokenizerRules(r.raw('TOKEN_COUNT_MODELS') ?? DEFAULT_TOKENIZER_RULES);
  } catch (err) {
    r.problems.push(`TOKEN_COUNT_MODELS: ${(err as Error).message}`);
  }
  const referenceNodes = (r.optional('PROBE_REFERENCE_NODES') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const id of referenceNodes) if (!NODE_ID.test(id)) r.problems.push(`PROBE_REFERENCE_NODES: "${id}" is not a node id`);
  const config: NodeTrustConfig = {
    counting: {
      tokenizers,
      workers: r.int('TOKEN_COUNT_WORKERS', 1, 1, 16),
      queueMax: r.int('TOKEN_COUNT_QUEUE_MAX', 1_000, 1, 100_000),
      maxResponseBytes: r.int('TOKEN_COUNT_MAX_RESPONSE_BYTES', 1 << 20, 1_024, 64 << 20),
      windowTokens: r.int('TOKEN_COUNT_WINDOW_TOKENS', 2_000, 1, 10_000_000),
      minTokens: r.int('TOKEN_COUNT_MIN_TOKENS', 200, 1, 10_000_000),
      flushMs: r.int('TOKEN_COUNT_FLUSH_MS', 60_000, 10, 3_600_000),
      driftToleranceBps: r.int('TOKEN_DRIFT_TOLERANCE_BPS', 500, 0, 10_000),
      driftSlackPerRequest: r.int('TOKEN_DRIFT_SLACK_PER_REQUEST', 2, 0, 1_000),
    },
    probes: {
      intervalMs: r.int('PROBE_INTERVAL_MS', 60_000, 0, 86_400_000),
      maxTokens: r.int('PROBE_MAX_TOKENS', 64, 8, 4_096),
      agreementWords: r.int('PROBE_AGREEMENT_WORDS', 8, 1, 1_000),
      quorum: r.int('PROBE_QUORUM', 3, 2, 1_000),
      referenceNodes,
      timeoutMs: r.int('PROBE_TIMEOUT_MS', 30_000, 100, 600_000),
      concurrency: r.int('PROBE_CONCURRENCY', 16, 1, 256),
    },
    review: {
      intervalMs: r.int('NODE_TRUST_REVIEW_INTERVAL_MS', 10_000, 50, 3_600_000),
      // The read model keeps the newest 100 judged probes and 31 days of incidents per node.
      probeWindow: r.int('PROBE_WINDOW', 20, 1, 100),
      probeFailuresToSuspend: r.int('PROBE_FAILURES_TO_SUSPEND', 4, 1, 100),
      discrepancyWindowMs: r.int('DISCREPANCY_WINDOW_HOURS', 24, 1, 24 * 30) * 3_600_000,
      discrepanciesToSuspend: r.int('DISCREPANCIES_TO_SUSPEND', 10, 1, 1_000_000),
    },
  };
  if (config.probes.intervalMs > 0 && config.probes.intervalMs < 50) r.problems.push('PROBE_INTERVAL_MS must be 0 (no probes) or at least 50');
  if (config.review.probeFailuresToSuspend > config.review.probeWindow) r.problems.push('PROBE_FAILURES_TO_SUSPEND must not exceed PROBE_WINDOW');
  if (config.counting.minTokens > config.counting.windowTokens) r.problems.push('TOKEN_COUNT_MIN_TOKENS must not exceed TOKEN_COUNT_WINDOW_TOKENS');
  return config;
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function readRetention(r: Reader): RetentionConfig {
  const every = (r.string('RETENTION_SWEEP_EVERY', '1h') ?? '1h').trim();
  let sweep: RetentionConfig['sweep'] = { everyMs: 3_600_000 };
  const duration = /^(\d{1,9})(ms|s|m|h|d)?$/.exec(every);
  if (duration) {
    const everyMs = Number(duration[1]) * DURATION_UNITS_MS[duration[2] ?? 'ms'];
    if (everyMs < 1_000 || everyMs > 7 * 86_400_000) r.problems.push('RETENTION_SWEEP_EVERY must be between 1s and 7d (e.g. 1h), or a cron pattern');
    else sweep = { everyMs };
  } else if (/^[\d*/,-]+( [\d*/,-]+){4,5}$/.test(every)) {
    sweep = { pattern: every };
  } else {
    r.problems.push('RETENTION_SWEEP_EVERY must be an interval (e.g. 1h, 30m, 3600000) or a cron pattern (e.g. "15 3 * * *")');
  }
  return {
    usageDetailDays: r.int('USAGE_DETAIL_RETENTION_DAYS', 90, 1, 3_650),
    signInDays: r.int('SIGNIN_RETENTION_DAYS', 180, 1, 3_650),
    paymentRecordYears: r.int('PAYMENT_RECORD_RETENTION_YEARS', 7, 1, 100),
    mailLogDays: r.int('MAIL_LOG_RETENTION_DAYS', 90, 1, 3_650),
    sweep,
    streamsPerSweep: r.int('RETENTION_STREAMS_PER_SWEEP', 500, 1, 100_000),
    maxEventsPerDay: r.int('RETENTION_MAX_EVENTS_PER_DAY', 200_000, 1, 5_000_000),
  };
}

export const APP_CONFIG = Symbol('AppConfig');
