/**
 * Bounded in-process memories for the API-key hot path. Every structure has a fixed capacity and
 * one lifetime for all its entries, so insertion order is also expiry order: dropping the oldest
 * entry when full and sweeping expired entries from the head are the same cheap operation, and a
 * hit needs no LRU bookkeeping (no write, no allocation).
 */

/** A map whose entries live `ttlMs` and of which at most `capacity` are kept (oldest dropped first). */
export class BoundedTtlMap<K, V> {
  private readonly entries = new Map<K, { value: V; untilMs: number }>();

  constructor(
    readonly capacity: number,
    readonly ttlMs: number,
  ) {
    if (!(capacity >= 1 && ttlMs >= 1)) throw new Error('BoundedTtlMap needs capacity ≥ 1 and ttlMs ≥ 1');
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K, nowMs: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (nowMs < entry.untilMs) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  has(key: K, nowMs: number): boolean {
    return this.get(key, nowMs) !== undefined;
  }

  set(key: K, value: V, nowMs: number): void {
    this.entries.delete(key); // re-inserting moves the key to the young end
    this.sweep(nowMs);
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, { value, untilMs: nowMs + this.ttlMs });
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  private sweep(nowMs: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.untilMs > nowMs) return;
      this.entries.delete(key);
    }
  }
}

/** What the key cache needs to know of an entry to find it again on an invalidation. */
export interface KeyCacheEntry {
  readonly keyHash: string;
  readonly accountId: string;
  readonly verifiedAtMs: number;
}

/**
 * Verified keys by the digest of the presented key, at most `capacity` of them and none older
 * than `maxAgeMs` (the reader may apply a shorter age). Indexed by keyed hash (a revoked key) and
 * by account (a suspended account), the two things an invalidation message names.
 */
export class KeyCache<E extends KeyCacheEntry> {
  private readonly entries = new Map<string, E>();
  private readonly byKeyHash = new Map<string, string>();
  private readonly byAccount = new Map<string, Set<string>>();

  constructor(
    readonly capacity: number,
    readonly maxAgeMs: number,
  ) {
    if (!(capacity >= 1 && maxAgeMs >= 1)) throw new Error('KeyCache needs capacity ≥ 1 and maxAgeMs ≥ 1');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The entry, however old: its age decides whether it may be used, and that depends on the caller's state. */
  get(digest: string): E | undefined {
    return this.entries.get(digest);
  }

  set(digest: string, entry: E, nowMs: number): void {
    this.delete(digest);
    this.sweep(nowMs);
    if (this.entries.size >= this.capacity) this.delete(this.entries.keys().next().value as string);
    this.entries.set(digest, entry);
    this.byKeyHash.set(entry.keyHash, digest);
    let digests = this.byAccount.get(entry.accountId);
    if (digests === undefined) this.byAccount.set(entry.accountId, (digests = new Set()));
    digests.add(digest);
  }

  evictKeyHash(keyHash: string): boolean {
    const digest = this.byKeyHash.get(keyHash);
    if (digest === undefined) return false;
    this.delete(digest);
    return true;
  }

  evictAccount(accountId: string): number {
    const digests = this.byAccount.get(accountId);
    if (digests === undefined) return 0;
    const count = digests.size;
    for (const digest of [...digests]) this.delete(digest);
    return count;
  }

  clear(): void {
    this.entries.clear();
    this.byKeyHash.clear();
    this.byAccount.clear();
  }

  private delete(digest: string): void {
    const entry = this.entries.get(digest);
    if (entry === undefined) return;
    this.entries.delete(digest);
    if (this.byKeyHash.get(entry.keyHash) === digest) this.byKeyHash.delete(entry.keyHash);
    const digests = this.byAccount.get(entry.accountId);
    digests?.delete(digest);
    if (digests?.size === 0) this.byAccount.delete(entry.accountId);
  }

  private sweep(nowMs: number): void {
    for (const [digest, entry] of this.entries) {
      if (nowMs - entry.verifiedAtMs < this.maxAgeMs) return;
      this.delete(digest);
    }
  }
}
