import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { AccountDeletion } from './account-deletion';

/** Accounts completed per run; the next run takes the rest. */
export const DELETION_SWEEP_BATCH = 100;

export interface SweepResult {
  completed: string[];
  failed: string[];
  /** More were due than one run takes. */
  more: boolean;
}

/**
 * Finds deletions that are due (from the accounts read model: pending requests whose due time has
 * passed, plus deleted accounts whose key an interrupted run left unshredded) and completes each.
 * `now` is a parameter so a test can run the sweep at a chosen instant; the job passes the clock.
 * One failing account is logged and retried next run; it never stops the others.
 */
@Injectable()
export class DeletionSweep {
  constructor(
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    private readonly deletion: AccountDeletion,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async sweep(now: Date = new Date()): Promise<SweepResult> {
    const graceDays = this.config.privacy.deletionGraceDays;
    const due = await this.db
      .selectFrom('accounts')
      .select('account_id')
      .where('deletion_requested_at', 'is not', null)
      .where('deleted_at', 'is', null)
      // Requests recorded before due times were get the current grace period.
      .where(sql<Date>`coalesce(deletion_due_at, deletion_requested_at + make_interval(days => ${graceDays}))`, '<=', now)
      .orderBy('deletion_due_at')
      .limit(DELETION_SWEEP_BATCH + 1)
      .execute();
    const unshredded = await this.db
      .selectFrom('accounts as a')
      .innerJoin('personal_data_keys as k', 'k.subject_id', 'a.account_id')
      .select('a.account_id')
      .where('a.deleted_at', 'is not', null)
      .where('k.key', 'is not', null)
      .limit(DELETION_SWEEP_BATCH)
      .execute();
    const ids = [...new Set([...due.slice(0, DELETION_SWEEP_BATCH), ...unshredded].map((r) => r.account_id))];
    const result: SweepResult = { completed: [], failed: [], more: due.length > DELETION_SWEEP_BATCH };
    if (ids.length === 0) return result;
    this.logger.info({ due: ids.length, more: result.more }, 'account deletion sweep: starting');
    for (const accountId of ids) {
      try {
        const outcome = await this.deletion.complete(accountId, now);
        result.completed.push(accountId);
        this.logger.info(outcome, 'account deletion completed');
      } catch (err) {
        result.failed.push(accountId);
        const e = err instanceof Error ? { name: err.name, message: err.message } : { name: 'unknown', message: String(err) };
        this.logger.warn({ accountId, err: e }, 'account deletion failed; the next run retries');
      }
    }
    this.logger.info({ completed: result.completed.length, failed: result.failed.length, more: result.more }, 'account deletion sweep: done');
    return result;
  }
}
