import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { KYSELY } from '../platform/database/database.module';
import { Database } from '../platform/database/schema';
import { MAIL_OUTBOX, MailOutbox } from '../notifications/mail/mail-outbox';
import { policyChangeMail } from '../notifications/templates/policy-change';
import { Logger } from '../platform/observability/logger';
import { LOGGER } from '../platform/observability/tokens';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../platform/personal-data/personal-data.vault';
import { POLICY_KINDS } from './policy.events';
import { PolicyVersionsService } from './policy-versions.service';

/** Accounts read per batch; the cursor is saved after each. */
export const POLICY_NOTICE_BATCH = 200;
/** Batches per sweep: a sweep queues at most this many × the batch, the next sweep goes on. */
export const POLICY_NOTICE_BATCHES_PER_SWEEP = 50;

export const policyNoticeId = (kind: string, version: string, accountId: string) => `policy-${kind}-${version}-${accountId}`;

/**
 * The material-change notice of each published policy version, to every account with an address
 * that was registered before the version takes effect (for the provider terms: every provider), once
 * (issue 16 item 4). Suspended accounts
 * and accounts awaiting deletion are mailed too: the terms still bind them. Deleted (shredded)
 * accounts and accounts without an email (Telegram) are not.
 *
 * Runs in the worker, never in the publishing request (there may be many accounts). Progress is a
 * keyset cursor (registered_at, account_id) per version in `policy_notice_runs`, saved after each
 * batch, so a restart resumes; a batch repeated after a crash queues the same notification ids,
 * which the outbox's job id and the mail log make a no-op. A run stays open until the version takes
 * effect, so an account created meanwhile is told too.
 */
@Injectable()
export class PolicyNotices {
  constructor(
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    private readonly policies: PolicyVersionsService,
    @Inject(MAIL_OUTBOX) private readonly outbox: MailOutbox,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async sweep(now: Date = new Date()): Promise<{ queued: number; more: boolean }> {
    await this.startRuns();
    const runs = await this.db.selectFrom('policy_notice_runs').selectAll().where('finished_at', 'is', null).orderBy('effective_at').execute();
    let queued = 0;
    let batches = 0;
    for (const run of runs) {
      const version = (await this.policies.published(run.kind as (typeof POLICY_KINDS)[number])).find((v) => v.version === run.version);
      if (!version) continue; // not possible: runs are started from the published versions
      let cursor = run.cursor_registered_at && run.cursor_account_id ? { at: run.cursor_registered_at, id: run.cursor_account_id } : null;
      for (;;) {
        if (batches++ >= POLICY_NOTICE_BATCHES_PER_SWEEP) return { queued, more: true };
        const rows = await this.db
          .selectFrom('accounts')
          .select(['account_id', 'registered_at', 'email_sealed'])
          .where('deleted_at', 'is', null)
          .where('registered_at', '<', run.effective_at)
          .$if(cursor !== null, (q) => q.where(sql<boolean>`(registered_at, account_id) > (${cursor!.at}, ${cursor!.id})`))
          // The provider terms bind providers only.
          .$if(run.kind === 'provider-terms', (q) => q.where(sql<boolean>`'provider' = ANY(roles)`))
          .orderBy('registered_at')
          .orderBy('account_id')
          .limit(POLICY_NOTICE_BATCH)
          .execute();
        const mail = policyChangeMail({
          kind: run.kind as (typeof POLICY_KINDS)[number],
          version: version.version,
          effectiveAt: version.effectiveAt,
          url: version.url,
          summary: version.summary,
        });
        let sent = 0;
        for (const row of rows) {
          const to = await this.vault.open(row.account_id, row.email_sealed);
          if (!to) continue; // no email, or shredded
          await this.outbox.enqueue({ notificationId: policyNoticeId(run.kind, run.version, row.account_id), category: 'legal', accountId: row.account_id, to, ...mail });
          sent++;
        }
        queued += sent;
        const last = rows[rows.length - 1];
        if (last) cursor = { at: last.registered_at, id: last.account_id };
        // Finished once every account registered before the effective date has been seen.
        const finished = rows.length < POLICY_NOTICE_BATCH && now >= run.effective_at;
        await this.db
          .updateTable('policy_notice_runs')
          .set({ cursor_registered_at: cursor?.at ?? null, cursor_account_id: cursor?.id ?? null, queued: sql`queued + ${sent}`, finished_at: finished ? now : null })
          .where('kind', '=', run.kind)
          .where('version', '=', run.version)
          .execute();
        if (rows.length < POLICY_NOTICE_BATCH) break;
      }
    }
    if (queued > 0) this.logger.info({ queued }, 'policy notices queued');
    return { queued, more: false };
  }

  /** A run per published version, from the events (a crash between publishing and here loses nothing). */
  private async startRuns(): Promise<void> {
    for (const kind of POLICY_KINDS) {
      const versions = await this.policies.published(kind);
      if (versions.length === 0) continue;
      await this.db
        .insertInto('policy_notice_runs')
        .values(versions.map((v) => ({ kind, version: v.version, effective_at: new Date(v.effectiveAt), cursor_registered_at: null, cursor_account_id: null, finished_at: null })))
        .onConflict((oc) => oc.columns(['kind', 'version']).doNothing())
        .execute();
    }
  }
}
