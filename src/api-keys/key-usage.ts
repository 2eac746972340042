import { Kysely, sql } from 'kysely';
import { Database } from '../platform/database/schema';

/** A key's "last used" as the hot path sees it; lives on the cache entry so a hit writes one field. */
export interface UsageSlot {
  readonly keyId: string;
  lastUsedMs: number;
  /** Already in the recorder's pending list since the last flush. */
  pending: boolean;
}

export type LastUsedWriter = (keyIds: string[], lastUsedMs: number[]) => Promise<void>;

/** Rows per upsert statement; a flush normally needs one. */
export const LAST_USED_ROWS_PER_STATEMENT = 5_000;

/**
 * "Last used" without a write per request: a request stamps its key's slot (no allocation), the
 * first stamp after a flush queues the slot, and a flush writes every queued key in one batched
 * upsert. A failed flush keeps its values for the next one. Both lists are bounded; past the
 * bound a key's stamp is dropped and counted (it only loses "last used" precision).
 */
export class KeyUsageRecorder {
  private queued: UsageSlot[] = [];
  private carried = new Map<string, number>();
  private flushing: Promise<number> | null = null;
  /** Stamps lost to the bounds. */
  dropped = 0;
  /** Upsert statements written. */
  statements = 0;

  constructor(
    private readonly write: LastUsedWriter,
    readonly maxPending: number,
  ) {}

  get pending(): number {
    return this.queued.length + this.carried.size;
  }

  touch(slot: UsageSlot, nowMs: number): void {
    slot.lastUsedMs = nowMs;
    if (slot.pending) return;
    if (this.queued.length >= this.maxPending) {
      this.dropped++;
      return;
    }
    slot.pending = true;
    this.queued.push(slot);
  }

  /** Writes what is pending; resolves to the number of keys written. One flush at a time. */
  flush(): Promise<number> {
    this.flushing ??= this.writePending().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async writePending(): Promise<number> {
    const latest = this.carried;
    this.carried = new Map();
    for (const slot of this.queued) {
      slot.pending = false;
      const seen = latest.get(slot.keyId);
      if (seen === undefined || slot.lastUsedMs > seen) latest.set(slot.keyId, slot.lastUsedMs);
    }
    this.queued = [];
    if (latest.size === 0) return 0;
    const keyIds = [...latest.keys()];
    const times = [...latest.values()];
    try {
      for (let i = 0; i < keyIds.length; i += LAST_USED_ROWS_PER_STATEMENT) {
        await this.write(keyIds.slice(i, i + LAST_USED_ROWS_PER_STATEMENT), times.slice(i, i + LAST_USED_ROWS_PER_STATEMENT));
        this.statements++;
      }
      return keyIds.length;
    } catch (err) {
      for (const [keyId, ms] of latest) {
        if (this.carried.size >= this.maxPending) this.dropped++;
        else this.carried.set(keyId, Math.max(ms, this.carried.get(keyId) ?? 0));
      }
      throw err;
    }
  }
}

/** One statement for a whole batch; GREATEST keeps the newest time whichever instance writes last. */
export function lastUsedWriter(db: Kysely<Database>): LastUsedWriter {
  return async (keyIds, lastUsedMs) => {
    const times = lastUsedMs.map((ms) => new Date(ms).toISOString());
    await sql`
      INSERT INTO api_key_usage (key_id, last_used_at)
      SELECT * FROM unnest(${keyIds}::text[], ${times}::timestamptz[])
      ON CONFLICT (key_id) DO UPDATE SET last_used_at = GREATEST(api_key_usage.last_used_at, excluded.last_used_at)`.execute(db);
  };
}
