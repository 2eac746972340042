import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { derivedEventId } from '../../platform/event-sourcing/derived-event-id';
import { SignInEvent, SignInRecordsRemoved } from '../../auth/sign-in.events';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { StreamNotFoundError, StreamVersionConflictError } from '../../platform/event-store/event-store.errors';
import { EVENT_STORE, EventStore, RecordedEvent } from '../../platform/event-store/event-store.port';
import { MAX_READ_COUNT } from '../../platform/store-limits';
import { USAGE_DAY_SUMMARIZED } from '../../metering/usage-summary';
import { pruneMailLog } from '../../notifications/mail/mail-log-retention';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { RETENTION_ACTOR, rollUpDay, summaryEventId } from './usage-rollup';

const DAY_MS = 86_400_000;
const SIGNINS_REMOVED: SignInRecordsRemoved['type'] = 'SignInRecordsRemoved';

export interface RetentionReport {
  /** The first day whose usage detail is kept, and the oldest sign-in time kept. */
  usageKeptFromDay: string;
  signInsKeptFrom: string;
  usageDaysSummarized: number;
  usageEventsRemoved: number;
  /** Summaries appended by an earlier run that had not removed their details yet. */
  truncationsFinished: number;
  /** Days left for the next run: a charge arrived while summarising, or the day is too large. */
  usageDaysDeferred: number;
  signInStreamsSwept: number;
  signInsRemoved: number;
  /** Payment streams older than PAYMENT_RECORD_RETENTION_YEARS: reported, never removed by the sweep. */
  paymentStreamsPastLegalPeriod: number;
  /** Mail log rows older than MAIL_LOG_RETENTION_DAYS removed. */
  mailLogRowsRemoved: number;
}

/**
 * The retention sweep (P5, P16; P6 by what it never touches). Safe to run twice at once, again,
 * or after a crash at any point:
 * - an old usage day is summarised with an event whose id derives from the stream and the
 *   revision it summarises through, appended at exactly that revision (a late charge conflicts
 *   and the day waits for the next run; a repeat is a no-op), then its details are removed. The
 *   stream is noted in retention_pending_truncations before the append and forgotten after the
 *   removal, so a crash in between is finished by the next run;
 * - old sign-ins are removed by truncating their stream before the first sign-in still kept,
 *   after a SignInRecordsRemoved marker that says what is kept (appended at exactly the last
 *   revision read, so a sign-in meanwhile makes the stream wait for the next run).
 * It never touches credits-, payment-, crypto- or payout- streams: ledger records other than per-request
 * charges (which the summary keeps, netted per ledger account) are kept for good.
 */
@Injectable()
export class RetentionSweep {
  constructor(
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** `now` is injectable so tests (and a dry look at the future) need no clock games. */
  async sweep(now: Date = new Date()): Promise<RetentionReport> {
    const { usageDetailDays, signInDays, paymentRecordYears } = this.config.retention;
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const usageKeptFromDay = new Date(today - usageDetailDays * DAY_MS).toISOString().slice(0, 10);
    const signInsKeptFrom = new Date(now.getTime() - signInDays * DAY_MS);
    const report: RetentionReport = {
      usageKeptFromDay,
      signInsKeptFrom: signInsKeptFrom.toISOString(),
      usageDaysSummarized: 0,
      usageEventsRemoved: 0,
      truncationsFinished: 0,
      usageDaysDeferred: 0,
      signInStreamsSwept: 0,
      signInsRemoved: 0,
      paymentStreamsPastLegalPeriod: 0,
      mailLogRowsRemoved: 0,
    };
    await this.finishPending(report);
    await this.sweepUsage(usageKeptFromDay, now, report);
    await this.sweepSignIns(signInsKeptFrom, now, report);
    report.mailLogRowsRemoved = await pruneMailLog(this.db, new Date(now.getTime() - this.config.retention.mailLogDays * DAY_MS));
    const legal = new Date(now);
    legal.setUTCFullYear(legal.getUTCFullYear() - paymentRecordYears);
    const { n } = await this.db
      .selectFrom('stream_index')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('category', 'in', ['payment', 'crypto'])
      .where('last_event_at', '<', legal)
      .executeTakeFirstOrThrow();
    report.paymentStreamsPastLegalPeriod = Number(n);
    this.logger.info(report, 'retention sweep done');
    return report;
  }

  private async finishPending(report: RetentionReport): Promise<void> {
    const pending = await this.db.selectFrom('retention_pending_truncations').select('stream').orderBy('created_at').limit(this.config.retention.streamsPerSweep).execute();
    for (const { stream } of pending) {
      const recent = await this.store
        .readStream(stream, { direction: 'backwards', maxCount: MAX_READ_COUNT })
        .catch((err) => (err instanceof StreamNotFoundError ? [] : Promise.reject(err)));
      const summary = recent.find((e) => e.type === USAGE_DAY_SUMMARIZED);
      if (summary) {
        report.usageEventsRemoved += await this.truncate(stream, summary.revision);
        report.truncationsFinished++;
      }
      await this.db.deleteFrom('retention_pending_truncations').where('stream', '=', stream).execute();
    }
  }

  private async sweepUsage(keptFromDay: string, now: Date, report: RetentionReport): Promise<void> {
    const { rows } = await sql<{ stream: string }>`
      SELECT stream FROM stream_index
       WHERE category = 'usage' AND last_event_type <> ${sql.lit(USAGE_DAY_SUMMARIZED)} AND right(stream, 10) < ${keptFromDay}
       ORDER BY right(stream, 10), stream LIMIT ${this.config.retention.streamsPerSweep}`.execute(this.db);
    for (const { stream } of rows) {
      const events = await this.readWhole(stream, this.config.retention.maxEventsPerDay);
      if (events === null) {
        this.logger.warn({ stream, max: this.config.retention.maxEventsPerDay }, 'usage day too large to summarise; raise RETENTION_MAX_EVENTS_PER_DAY');
        report.usageDaysDeferred++;
        continue;
      }
      const rollUp = rollUpDay(stream, events, now.toISOString());
      if (!rollUp) {
        // Summarised already (the stream index lags): only the removal may be missing.
        const last = events[events.length - 1];
        if (last?.type === USAGE_DAY_SUMMARIZED && events.length > 1) report.usageEventsRemoved += await this.truncate(stream, last.revision);
        continue;
      }
      await this.db
        .insertInto('retention_pending_truncations')
        .values({ stream })
        .onConflict((oc) => oc.column('stream').doNothing())
        .execute();
      let summaryRevision: bigint;
      try {
        const result = await this.store.append(
          stream,
          [
            {
              id: summaryEventId(stream, rollUp.expectedRevision),
              type: rollUp.event.type,
              data: rollUp.event.data,
              metadata: { actorId: RETENTION_ACTOR, occurredAt: rollUp.occurredAt, correlationId: `retention:${stream}` },
            },
          ],
          rollUp.expectedRevision,
        );
        summaryRevision = result.nextExpectedRevision;
      } catch (err) {
        if (!(err instanceof StreamVersionConflictError)) throw err;
        // A charge landed after the read: nothing was appended; the next run summarises it too.
        await this.db.deleteFrom('retention_pending_truncations').where('stream', '=', stream).execute();
        report.usageDaysDeferred++;
        continue;
      }
      report.usageEventsRemoved += await this.truncate(stream, summaryRevision);
      await this.db.deleteFrom('retention_pending_truncations').where('stream', '=', stream).execute();
      report.usageDaysSummarized++;
    }
  }

  /**
   * Sign-in streams that may hold a sign-in older than the window: never swept yet and begun
   * before it, kept one older than it, or grown since a sweep removed everything.
   */
  private async sweepSignIns(keptFrom: Date, now: Date, report: RetentionReport): Promise<void> {
    const { rows } = await sql<{ stream: string }>`
      SELECT s.stream FROM stream_index s LEFT JOIN retention_signins r ON r.stream = s.stream
       WHERE s.category = 'signins'
         AND ((r.stream IS NULL AND s.first_event_at < ${keptFrom})
              OR r.oldest_kept_at < ${keptFrom}
              OR (r.oldest_kept_at IS NULL AND s.revision > r.last_revision))
       ORDER BY s.stream LIMIT ${this.config.retention.streamsPerSweep}`.execute(this.db);
    for (const { stream } of rows) {
      const events = await this.readWhole(stream, MAX_READ_COUNT * 10);
      if (!events || events.length === 0) continue;
      const kept = events.find((e) => e.type === 'SignedIn' && !(Date.parse(String((e.data as SignInEvent['data']).signedInAt)) < keptFrom.getTime()));
      let lastRevision = events[events.length - 1].revision;
      const removed = events.filter((e) => e.type === 'SignedIn' && (!kept || e.revision < kept.revision)).length;
      let removedNow = 0;
      if (removed > 0) {
        // A marker without personal data first (it tells the read models what is kept), then the removal.
        const last = events[events.length - 1];
        const data: SignInRecordsRemoved['data'] = {
          throughRevision: (kept ? kept.revision - 1n : last.revision).toString(),
          keptFromRevision: kept ? kept.revision.toString() : null,
          keptFromCreatedAt: kept ? kept.createdAt.toISOString() : null,
          olderThan: keptFrom.toISOString(),
          removedAt: now.toISOString(),
        };
        try {
          const result = await this.store.append(
            stream,
            [{ id: markerId(stream, last.revision), type: SIGNINS_REMOVED, data, metadata: { actorId: RETENTION_ACTOR, occurredAt: now.toISOString() } }],
            last.revision,
          );
          lastRevision = result.nextExpectedRevision;
          await this.store.truncateStreamBefore(stream, kept ? kept.revision : lastRevision);
          removedNow = removed;
        } catch (err) {
          if (!(err instanceof StreamVersionConflictError)) throw err;
          // Signed in meanwhile: the next run looks again.
        }
      }
      const oldestKept = kept ? new Date(String((kept.data as SignInEvent['data']).signedInAt)) : null;
      await this.db
        .insertInto('retention_signins')
        .values({ stream, last_revision: lastRevision.toString(), oldest_kept_at: oldestKept })
        .onConflict((oc) => oc.column('stream').doUpdateSet({ last_revision: lastRevision.toString(), oldest_kept_at: oldestKept }))
        .execute();
      report.signInStreamsSwept++;
      report.signInsRemoved += removedNow;
    }
  }

  /** Truncates before `before`; returns how many events that removed (as read before). */
  private async truncate(stream: string, before: bigint): Promise<number> {
    const [first] = await this.store.readStream(stream, { maxCount: 1 });
    if (!first || first.revision >= before) return 0;
    await this.store.truncateStreamBefore(stream, before);
    return Number(before - first.revision);
  }

  /** The whole stream in pages; null when it has more than `max` events. */
  private async readWhole(stream: string, max: number): Promise<RecordedEvent[] | null> {
    const out: RecordedEvent[] = [];
    for (;;) {
      const from = out.length ? out[out.length - 1].revision + 1n : 0n;
      const page = await this.store
        .readStream(stream, { fromRevision: from, maxCount: MAX_READ_COUNT })
        .catch((err) => (err instanceof StreamNotFoundError ? [] : Promise.reject(err)));
      out.push(...page);
      if (out.length > max) return null;
      if (page.length < MAX_READ_COUNT) return out;
    }
  }
}

function markerId(stream: string, through: bigint): string {
  return derivedEventId(`signin-records-removed:${stream}:${through}`);
}
