import { Inject, Injectable } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { Kysely } from 'kysely';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { MailConsent } from '../preferences/mail-consent';
import { MailTransport } from './mail-transport';
import { OutgoingMail, withoutAddresses } from './outgoing-mail';

export const MAIL_TRANSPORT = Symbol('MailTransport');

/**
 * Sends one queued mail, at least once and, in practice, once: a notification already in the
 * mail log as sent is skipped (a replayed cause, or a job re-added after the first one was
 * removed). A crash between the SMTP server's acceptance and the log row sends it again, the
 * price of never losing one. A mail that failed its last attempt is logged as failed (the
 * dead letter) without its address, and its job is dropped.
 */
@Injectable()
export class MailSender {
  constructor(
    @Inject(MAIL_TRANSPORT) private readonly transport: MailTransport,
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly consent: MailConsent,
  ) {}

  async process(job: Job<OutgoingMail>): Promise<'sent' | 'already sent' | 'skipped'> {
    const logged = await this.db.selectFrom('mail_log').select('outcome').where('notification_id', '=', job.data.notificationId).executeTakeFirst();
    if (logged?.outcome === 'sent' || logged?.outcome === 'skipped') return 'already sent';
    const attempts = job.attemptsMade + 1;
    // Preferences are read now, in the worker: an optional mail turned off is logged as skipped (metadata only).
    const prepared = await this.consent.prepare(job.data);
    if ('skip' in prepared) {
      await this.record(job.data, 'skipped', attempts, prepared.skip);
      return 'skipped';
    }
    const mail = prepared.send;
    try {
      await this.transport.send(mail);
    } catch (err) {
      const error = withoutAddresses((err as Error).message);
      const last = attempts >= (job.opts.attempts ?? 1);
      this.logger.warn({ notificationId: mail.notificationId, category: mail.category, attempts, last, err: error }, 'mail not sent');
      if (last) {
        await this.record(mail, 'failed', attempts, error);
        throw new UnrecoverableError(error);
      }
      // eslint-disable-next-line preserve-caught-error -- the relay's message without addresses; the raw error may carry one
      throw new Error(error);
    }
    await this.record(mail, 'sent', attempts, null);
    return 'sent';
  }

  private async record(mail: OutgoingMail, outcome: 'sent' | 'failed' | 'skipped', attempts: number, error: string | null): Promise<void> {
    await this.db
      .insertInto('mail_log')
      .values({ notification_id: mail.notificationId, category: mail.category, outcome, attempts, last_error: error, finished_at: new Date() })
      .onConflict((oc) => oc.column('notification_id').doUpdateSet({ outcome, attempts, last_error: error, finished_at: new Date() }))
      .execute();
  }
}
