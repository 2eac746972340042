import { timingSafeEqual } from 'node:crypto';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { loadAggregate } from '../platform/event-sourcing/command-handler';
import { EventStore } from '../platform/event-store/event-store.port';
import { apiKeyDecider } from './api-key.decide';
import { apiKeyStream } from './api-key.events';
import { restrictedAccountMarker, revokedKeyMarker, suspendedAccountMarker } from '../accounts/key-invalidation';

/** What the hot path needs to know of a key, merged from the read model and the Redis denylist. */
export interface KeyRecord {
  keyId: string;
  accountId: string;
  expiresAtMs: number | null;
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
  /** By the read model or the denylist. */
  revoked: boolean;
  /** The denylist entry set by `suspend()`: authoritative for a day after a suspension. */
  suspendedMarker: boolean;
  /** The read model's account status, which trails a reinstatement by the projection lag. */
  suspendedInReadModel: boolean;
  /** The denylist entry set by a restriction of processing (P10); like `suspendedMarker`. */
  restrictedMarker: boolean;
  restrictedInReadModel: boolean;
}

/** The I/O behind a cache miss: the authenticator's only way to the database and Redis. */
export interface KeyLookup {
  /** `keyId` is the public id from the presented key; `keyHash` its keyed hash. null = no such key. */
  find(keyHash: string, keyId: string): Promise<KeyRecord | null>;
}

interface KeyRow {
  key_id: string;
  account_id: string;
  expires_at: Date | null;
  revoked: boolean;
  requests_per_minute: number | null;
  tokens_per_minute: number | null;
  account_suspended: boolean | null;
  account_restricted: boolean | null;
}

// A named (prepared) statement on the raw pool: a miss is on the request path, and building the
// query with kysely would cost more CPU than PostgreSQL spends answering it.
const KEY_BY_HASH = {
  name: 'tollgate_api_key_by_hash',
  text: `SELECT k.key_id, k.account_id, k.expires_at, k.revoked_at IS NOT NULL AS revoked,
                k.requests_per_minute, k.tokens_per_minute, a.status = 'suspended' AS account_suspended,
                a.restricted_at IS NOT NULL AS account_restricted
           FROM api_keys k LEFT JOIN accounts a ON a.account_id = k.account_id
          WHERE k.key_hash = $1`,
};
const ACCOUNT_SUSPENDED = {
  name: 'tollgate_account_suspended',
  text: `SELECT status = 'suspended' AS account_suspended, restricted_at IS NOT NULL AS account_restricted FROM accounts WHERE account_id = $1`,
};

/**
 * Miss path: one query joining `api_keys` and `accounts` by key hash, then one MGET of the two
 * denylist entries (revoked key, suspended account) so a revocation counts before the read model
 * has caught up with it. A key the read model does not have yet (issued a moment ago) is looked
 * up in its own event stream, so a key works as soon as `issue()` has returned it — and "unknown"
 * is a final answer that may be remembered.
 */
export class StoredKeyLookup implements KeyLookup {
  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    private readonly redis: Redis,
  ) {}

  async find(keyHash: string, keyId: string): Promise<KeyRecord | null> {
    const found = (await this.fromReadModel(keyHash)) ?? (await this.fromEvents(keyHash, keyId));
    if (found === null) return null;
    const [revoked, suspended, restricted] = await this.redis.mget(
      revokedKeyMarker(found.accountId, keyHash),
      suspendedAccountMarker(found.accountId),
      restrictedAccountMarker(found.accountId),
    );
    return { ...found, revoked: found.revoked || revoked !== null, suspendedMarker: suspended !== null, restrictedMarker: restricted !== null };
  }

  private async fromReadModel(keyHash: string): Promise<Omit<KeyRecord, 'suspendedMarker' | 'restrictedMarker'> | null> {
    const { rows } = await this.pool.query<KeyRow>({ ...KEY_BY_HASH, values: [keyHash] });
    const row = rows[0];
    if (row === undefined) return null;
    return {
      keyId: row.key_id,
      accountId: row.account_id,
      expiresAtMs: row.expires_at?.getTime() ?? null,
      requestsPerMinute: row.requests_per_minute,
      tokensPerMinute: row.tokens_per_minute,
      revoked: row.revoked,
      suspendedInReadModel: row.account_suspended === true,
      restrictedInReadModel: row.account_restricted === true,
    };
  }

  private async fromEvents(keyHash: string, keyId: string): Promise<Omit<KeyRecord, 'suspendedMarker' | 'restrictedMarker'> | null> {
    const { state } = await loadAggregate(this.store, apiKeyStream(keyId), apiKeyDecider);
    if (!state.exists || state.keyHash === null || state.accountId === null || !sameHash(state.keyHash, keyHash)) return null;
    const { rows } = await this.pool.query<{ account_suspended: boolean; account_restricted: boolean }>({ ...ACCOUNT_SUSPENDED, values: [state.accountId] });
    return {
      keyId,
      accountId: state.accountId,
      expiresAtMs: state.expiresAt === null ? null : Date.parse(state.expiresAt),
      requestsPerMinute: state.limits.requestsPerMinute,
      tokensPerMinute: state.limits.tokensPerMinute,
      revoked: state.revoked,
      suspendedInReadModel: rows[0]?.account_suspended === true,
      restrictedInReadModel: rows[0]?.account_restricted === true,
    };
  }
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
