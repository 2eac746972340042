import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { Kysely, sql } from 'kysely';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { REDIS } from '../../platform/redis/redis.module';

/** Refused deliveries kept for finance (newest first); older ones fall off. */
export const REJECTIONS_KEPT = 1_000;
const EVENT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export type RejectionReason = 'unsigned' | 'bad_signature' | 'malformed' | 'missing_event_id';

export interface WebhookRejection {
  at: string;
  reason: RejectionReason;
  /** The claimed event id when it looks like one; never the body. */
  eventId: string | null;
  bytes: number;
}

export const safeEventId = (value: unknown): string | null => (typeof value === 'string' && EVENT_ID.test(value) ? value : null);

/**
 * Deduplication of webhook deliveries by x-razorpay-event-id (PostgreSQL, so it survives Redis
 * being emptied), and a bounded Redis list of refused deliveries for finance.
 */
@Injectable()
export class WebhookInbox {
  constructor(
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get rejectionsKey(): string {
    return `${this.config.redisKeyPrefix}payments:webhook-rejections`;
  }

  /** True on the first delivery of this event id; a repeat only counts the delivery. */
  async firstDelivery(eventId: string, event: string, entityId: string | null): Promise<boolean> {
    const row = await sql<{ first: boolean }>`
      INSERT INTO payment_webhook_events (event_id, event, entity_id, first_received_at, last_received_at, deliveries)
      VALUES (${eventId}, ${event.slice(0, 64)}, ${entityId}, now(), now(), 1)
      ON CONFLICT (event_id) DO UPDATE SET deliveries = payment_webhook_events.deliveries + 1, last_received_at = now()
      RETURNING (xmax = 0) AS first`.execute(this.db);
    return row.rows[0].first;
  }

  /** The work could not be queued: forget the delivery so Razorpay's retry is treated as new. */
  async forget(eventId: string): Promise<void> {
    await this.db.deleteFrom('payment_webhook_events').where('event_id', '=', eventId).where('deliveries', '=', 1).execute();
  }

  async reject(rejection: WebhookRejection): Promise<void> {
    await this.redis
      .multi()
      .lpush(this.rejectionsKey, JSON.stringify(rejection))
      .ltrim(this.rejectionsKey, 0, REJECTIONS_KEPT - 1)
      .exec()
      .catch(() => undefined); // reporting must never turn a refusal into a 500
  }

  async rejections(limit: number): Promise<WebhookRejection[]> {
    const raw = await this.redis.lrange(this.rejectionsKey, 0, Math.min(limit, REJECTIONS_KEPT) - 1);
    return raw.map((r) => JSON.parse(r) as WebhookRejection);
  }
}
