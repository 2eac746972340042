import * as crypto from 'node:crypto';
import Redis from 'ioredis';
import type { ApiKeyLimits } from './api-key.events';
import { API_KEY_PATTERN, parseApiKey } from './api-key.format';
import { KeyInvalidation } from '../accounts/key-invalidation';
import { InvalidationHandlers, KeyInvalidationListener, ListenerOptions } from './key-invalidation-listener';
import { BoundedTtlMap, KeyCache, KeyCacheEntry } from './key-cache';
import { KeyLookup, KeyRecord } from './key-lookup';
import { KeyUsageRecorder, LastUsedWriter, UsageSlot } from './key-usage';

/** Who is calling: what the /v1 hot path needs after the key check. Frozen and shared; never mutate. */
export interface AuthenticatedKey {
  readonly keyId: string;
  readonly accountId: string;
  readonly limits: Readonly<ApiKeyLimits>;
  /** ISO-8601; null = never expires. */
  readonly expiresAt: string | null;
}

export type KeyRefusalCode =
  'missing_api_key' | 'malformed_api_key' | 'unknown_api_key' | 'revoked_api_key' | 'expired_api_key' | 'account_suspended' | 'account_restricted' | 'key_check_unavailable';

/** A refused key. One shared instance per code, so refusing allocates nothing. */
export class KeyRefusal {
  constructor(readonly code: KeyRefusalCode) {
    Object.freeze(this);
  }
}

export const REFUSED = Object.freeze({
  missing: new KeyRefusal('missing_api_key'),
  malformed: new KeyRefusal('malformed_api_key'),
  unknown: new KeyRefusal('unknown_api_key'),
  revoked: new KeyRefusal('revoked_api_key'),
  expired: new KeyRefusal('expired_api_key'),
  suspended: new KeyRefusal('account_suspended'),
  /** P10: the person restricted processing of their account; lifted by them. */
  restricted: new KeyRefusal('account_restricted'),
  /** The database or Redis did not answer (or too many lookups are in flight): fail closed. */
  unavailable: new KeyRefusal('key_check_unavailable'),
});

export type KeyCheck = AuthenticatedKey | KeyRefusal;

export interface AuthenticatorOptions extends ListenerOptions {
  /** Verified keys kept in memory (≈ 0.5 KB each). */
  cacheCapacity: number;
  /** How long a verified key is trusted while invalidation messages are being received. */
  positiveTtlMs: number;
  /** Past this age a hit also refreshes the entry in the background, so hot keys never miss. */
  refreshAfterMs: number;
  /** How long a verified key is trusted while they are not (subscriber down): fail safe. */
  degradedTtlMs: number;
  /** How long "this account is suspended" (or restricted) is trusted; short, as reinstatement reaches the read model late. */
  suspendedTtlMs: number;
  /** Unknown, revoked and expired keys remembered by digest (final answers), so a retry loop costs no I/O. */
  refusalCapacity: number;
  refusalTtlMs: number;
  /** Revoked key hashes and suspended accounts remembered from messages. */
  denyMemoryCapacity: number;
  denyMemoryTtlMs: number;
  /** After a reinstatement message, the read model's "suspended" is ignored this long (it trails the event). */
  reinstatementMemoryTtlMs: number;
  /** Distinct keys being looked up at once; beyond, refuse as unavailable rather than queue without bound. */
  maxLookupsInFlight: number;
  lookupTimeoutMs: number;
  usageFlushIntervalMs: number;
  usageMaxPending: number;
}

export const AUTHENTICATOR_DEFAULTS: AuthenticatorOptions = Object.freeze({
  cacheCapacity: 100_000,
  positiveTtlMs: 60_000,
  refreshAfterMs: 45_000,
  degradedTtlMs: 500,
  suspendedTtlMs: 2_000,
  refusalCapacity: 20_000,
  refusalTtlMs: 30_000,
  denyMemoryCapacity: 10_000,
  denyMemoryTtlMs: 10 * 60_000,
  reinstatementMemoryTtlMs: 60_000,
  maxLookupsInFlight: 512,
  lookupTimeoutMs: 2_000,
  usageFlushIntervalMs: 10_000,
  usageMaxPending: 100_000,
  heartbeatIntervalMs: 200,
  heartbeatTimeoutMs: 400,
});

export interface AuthenticatorDeps {
  lookup: KeyLookup;
  /** The keyed hash stored for a key (`ApiKeysService.hashKey`). */
  hashKey(fullKey: string): string;
  writeLastUsed: LastUsedWriter;
  /** A dedicated connection: it is put in subscriber mode. Closed by `close()`. */
  subscriber: Redis;
  logger: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  clock?: () => number;
}

interface Entry extends KeyCacheEntry, UsageSlot {
  readonly key: AuthenticatedKey;
  /** Infinity when the key never expires. */
  readonly expiresAtMs: number;
  readonly ttlMs: number;
  /** Set when the key is fine but its account is suspended or restricted. */
  readonly refusal: KeyRefusal | null;
}

// Node ≥ 20.12 has the one-shot hash (≈ 4× cheaper than createHash for a short input).
const sha256 = typeof crypto.hash === 'function' ? (s: string) => crypto.hash('sha256', s, 'base64') : (s: string) => crypto.createHash('sha256').update(s).digest('base64');

const LOG_EVERY_MS = 10_000;

/**
 * The /v1 key check. Framework-free: the Nest guard and a raw node:http handler both call
 * `authenticate()`, which answers synchronously from memory in the common case and returns a
 * promise only on a miss.
 *
 * Cache key: the SHA-256 of the presented key, not its HMAC. The secret part has ≈ 190 bits of
 * entropy, so an unkeyed digest cannot be reversed or guessed any more than the keyed hash can; it
 * never leaves the process; and it costs ≈ 0.5 µs against ≈ 3 µs for the HMAC (npm run bench:keys). The HMAC is
 * computed only on a miss, to find the key in the read model.
 *
 * Freshness: entries are evicted when a revocation or suspension is published (any instance),
 * are trusted for `positiveTtlMs` only while this instance is subscribed, for `degradedTtlMs`
 * otherwise, and everything is dropped on resubscription (messages may have been missed).
 * A lookup overtaken by an invalidation message answers but is not remembered.
 */
export class ApiKeyAuthenticator {
  private readonly options: AuthenticatorOptions;
  private readonly clock: () => number;
  private readonly keys: KeyCache<Entry>;
  private readonly refusals: BoundedTtlMap<string, KeyRefusal>;
  private readonly revokedHashes: BoundedTtlMap<string, true>;
  private readonly suspendedAccounts: BoundedTtlMap<string, true>;
  private readonly reinstatedAccounts: BoundedTtlMap<string, true>;
  /** Restrictions of processing (P10) heard on the channel, and lifted ones: the same mechanism as suspension. */
  private readonly restrictedAccounts: BoundedTtlMap<string, true>;
  private readonly liftedAccounts: BoundedTtlMap<string, true>;
  private readonly inflight = new Map<string, Promise<KeyCheck>>();
  private readonly usage: KeyUsageRecorder;
  private readonly listener: KeyInvalidationListener;
  private listening = false;
  /** Bumped by every invalidation and resubscription; a lookup that saw it change is not cached. */
  private epoch = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private lastErrorLogMs = 0;
  private readonly counters = { hits: 0, lookups: 0, invalidations: 0 };

  constructor(
    private readonly deps: AuthenticatorDeps,
    options: Partial<AuthenticatorOptions> = {},
  ) {
    this.options = { ...AUTHENTICATOR_DEFAULTS, ...options };
    const o = this.options;
    if (!(o.refreshAfterMs < o.positiveTtlMs && o.degradedTtlMs <= o.positiveTtlMs && o.suspendedTtlMs <= o.positiveTtlMs)) {
      throw new Error('authenticator TTLs must satisfy refreshAfterMs < positiveTtlMs and degraded/suspended TTLs ≤ positiveTtlMs');
    }
    this.clock = deps.clock ?? Date.now;
    this.keys = new KeyCache(o.cacheCapacity, o.positiveTtlMs);
    this.refusals = new BoundedTtlMap(o.refusalCapacity, o.refusalTtlMs);
    this.revokedHashes = new BoundedTtlMap(o.denyMemoryCapacity, o.denyMemoryTtlMs);
    this.suspendedAccounts = new BoundedTtlMap(o.denyMemoryCapacity, o.denyMemoryTtlMs);
    this.reinstatedAccounts = new BoundedTtlMap(o.denyMemoryCapacity, o.reinstatementMemoryTtlMs);
    this.restrictedAccounts = new BoundedTtlMap(o.denyMemoryCapacity, o.denyMemoryTtlMs);
    this.liftedAccounts = new BoundedTtlMap(o.denyMemoryCapacity, o.reinstatementMemoryTtlMs);
    this.usage = new KeyUsageRecorder(deps.writeLastUsed, o.usageMaxPending);
    const handlers: InvalidationHandlers = {
      message: (m) => this.invalidate(m),
      subscribed: () => this.resubscribed(),
      lost: () => this.lost(),
    };
    this.listener = new KeyInvalidationListener(deps.subscriber, handlers, o);
  }

  /** Subscribes to invalidations and starts the periodic "last used" flush. */
  start(): void {
    this.listener.start();
    if (this.flushTimer !== null) return;
    this.flushTimer = setInterval(() => void this.flushUsage(), this.options.usageFlushIntervalMs);
    this.flushTimer.unref();
  }

  /** Stops listening and writes the pending "last used" times. Call after the HTTP server has drained. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.flushTimer !== null) clearInterval(this.flushTimer);
    this.flushTimer = null;
    await this.listener.close();
    await this.flushUsage();
    // A periodic flush may have been under way: what was stamped since then is still pending.
    if (this.usage.pending > 0) await this.flushUsage();
  }

  /**
   * Checks an `Authorization` header value. Synchronous when the key (or its refusal) is in
   * memory; a promise on a miss. Never throws or rejects: failures are `KeyRefusal`s.
   */
  authenticate(authorization: string | undefined): KeyCheck | Promise<KeyCheck> {
    if (authorization === undefined || authorization.length === 0) return REFUSED.missing;
    const token = bearerToken(authorization);
    if (token === null || !API_KEY_PATTERN.test(token)) return REFUSED.malformed;
    const digest = sha256(token);
    const nowMs = this.clock();
    const entry = this.keys.get(digest);
    if (entry !== undefined) {
      const ageMs = nowMs - entry.verifiedAtMs;
      if (ageMs < (this.listening ? entry.ttlMs : this.options.degradedTtlMs)) {
        this.counters.hits++;
        if (this.listening && ageMs >= this.options.refreshAfterMs && entry.refusal === null) this.refresh(token, digest);
        return this.admit(entry, nowMs);
      }
    }
    const refused = this.refusals.get(digest, nowMs);
    if (refused !== undefined) return refused;
    return this.lookup(token, digest);
  }

  /** Writes pending "last used" times in one batched statement; errors are logged and retried next time. */
  async flushUsage(): Promise<number> {
    try {
      return await this.usage.flush();
    } catch (err) {
      this.deps.logger.warn({ err: errorName(err), pending: this.usage.pending }, 'api key last-used flush failed; will retry');
      return 0;
    }
  }

  status() {
    return {
      listening: this.listening,
      cachedKeys: this.keys.size,
      cachedRefusals: this.refusals.size,
      lookupsInFlight: this.inflight.size,
      usagePending: this.usage.pending,
      usageDropped: this.usage.dropped,
      usageStatements: this.usage.statements,
      ...this.counters,
    };
  }

  private admit(entry: Entry, nowMs: number): KeyCheck {
    if (entry.refusal !== null) return entry.refusal;
    if (nowMs >= entry.expiresAtMs) return REFUSED.expired;
    this.usage.touch(entry, nowMs);
    return entry.key;
  }

  private refresh(token: string, digest: string): void {
    if (!this.inflight.has(digest) && this.inflight.size < this.options.maxLookupsInFlight) void this.lookup(token, digest);
  }

  /** One lookup per key at a time: concurrent misses for the same key share it. */
  private lookup(token: string, digest: string): Promise<KeyCheck> {
    const pending = this.inflight.get(digest);
    if (pending !== undefined) return pending;
    if (this.inflight.size >= this.options.maxLookupsInFlight) return Promise.resolve(REFUSED.unavailable);
    const started = this.load(token, digest).finally(() => this.inflight.delete(digest));
    this.inflight.set(digest, started);
    return started;
  }

  private async load(token: string, digest: string): Promise<KeyCheck> {
    this.counters.lookups++;
    const epoch = this.epoch;
    const keyHash = this.deps.hashKey(token);
    if (this.revokedHashes.has(keyHash, this.clock())) return this.refuse(digest, REFUSED.revoked);
    let record: KeyRecord | null;
    try {
      record = await withTimeout(this.deps.lookup.find(keyHash, (parseApiKey(token) as { keyId: string }).keyId), this.options.lookupTimeoutMs);
    } catch (err) {
      this.logLookupError(err);
      return REFUSED.unavailable;
    }
    return this.settle(digest, keyHash, record, epoch);
  }

  private settle(digest: string, keyHash: string, record: KeyRecord | null, epoch: number): KeyCheck {
    const nowMs = this.clock();
    if (record === null) return this.refuse(digest, REFUSED.unknown);
    if (record.revoked || this.revokedHashes.has(keyHash, nowMs)) return this.refuse(digest, REFUSED.revoked);
    const expiresAtMs = record.expiresAtMs ?? Number.POSITIVE_INFINITY;
    if (nowMs >= expiresAtMs) return this.refuse(digest, REFUSED.expired);
    const accountId = record.accountId;
    const suspended = record.suspendedMarker || this.suspendedAccounts.has(accountId, nowMs) || (record.suspendedInReadModel && !this.reinstatedAccounts.has(accountId, nowMs));
    const restricted = record.restrictedMarker || this.restrictedAccounts.has(accountId, nowMs) || (record.restrictedInReadModel && !this.liftedAccounts.has(accountId, nowMs));
    const refusal = suspended ? REFUSED.suspended : restricted ? REFUSED.restricted : null;
    const entry: Entry = {
      keyHash,
      accountId: record.accountId,
      keyId: record.keyId,
      verifiedAtMs: nowMs,
      expiresAtMs,
      ttlMs: refusal !== null ? this.options.suspendedTtlMs : this.options.positiveTtlMs,
      refusal,
      lastUsedMs: 0,
      pending: false,
      key: Object.freeze({
        keyId: record.keyId,
        accountId: record.accountId,
        limits: Object.freeze({ requestsPerMinute: record.requestsPerMinute, tokensPerMinute: record.tokensPerMinute }),
        expiresAt: record.expiresAtMs === null ? null : new Date(record.expiresAtMs).toISOString(),
      }),
    };
    // An invalidation that arrived during the lookup may be about this very key: answer, don't remember.
    if (epoch === this.epoch) this.keys.set(digest, entry, nowMs);
    return this.admit(entry, nowMs);
  }

  /** Unknown, revoked and expired are final: remember them so a client retrying a bad key costs no I/O. */
  private refuse(digest: string, refusal: KeyRefusal): KeyRefusal {
    this.refusals.set(digest, refusal, this.clock());
    return refusal;
  }

  private invalidate(message: KeyInvalidation | null): void {
    this.epoch++;
    this.counters.invalidations++;
    const nowMs = this.clock();
    if (message === null) {
      this.keys.clear();
    } else if (message.kind === 'key') {
      this.revokedHashes.set(message.keyHash, true, nowMs);
      this.keys.evictKeyHash(message.keyHash);
    } else if (message.kind === 'restriction') {
      if (message.restricted) {
        this.restrictedAccounts.set(message.accountId, true, nowMs);
        this.liftedAccounts.delete(message.accountId);
      } else {
        this.restrictedAccounts.delete(message.accountId);
        this.liftedAccounts.set(message.accountId, true, nowMs);
      }
      this.keys.evictAccount(message.accountId);
    } else {
      if (message.suspended) {
        this.suspendedAccounts.set(message.accountId, true, nowMs);
        this.reinstatedAccounts.delete(message.accountId);
      } else {
        this.suspendedAccounts.delete(message.accountId);
        this.reinstatedAccounts.set(message.accountId, true, nowMs);
      }
      this.keys.evictAccount(message.accountId);
    }
  }

  private resubscribed(): void {
    this.epoch++;
    this.keys.clear();
    this.listening = true;
    this.deps.logger.info({}, 'api key invalidations: listening');
  }

  private lost(): void {
    this.listening = false;
    if (this.closing) return;
    this.deps.logger.warn({ degradedTtlMs: this.options.degradedTtlMs }, 'api key invalidations: not listening; keys are re-checked every degradedTtlMs');
  }

  private logLookupError(err: unknown): void {
    const nowMs = this.clock();
    if (nowMs - this.lastErrorLogMs < LOG_EVERY_MS) return;
    this.lastErrorLogMs = nowMs;
    this.deps.logger.warn({ err: errorName(err) }, 'api key lookup failed; refusing with 503');
  }
}

/** `Bearer <token>` (scheme case-insensitive, RFC 9110); null for any other scheme. */
function bearerToken(header: string): string | null {
  if (header.length < 8 || header.charCodeAt(6) !== 0x20) return null;
  for (let i = 0; i < 6; i++) if ((header.charCodeAt(i) | 0x20) !== BEARER.charCodeAt(i)) return null;
  return header.slice(7).trim();
}
const BEARER = 'bearer';

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`api key lookup timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function errorName(err: unknown): { name: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: 'unknown', message: String(err) };
}
