import { Queue } from 'bullmq';
import { closeQueueConnection, queueConnection, queuePrefix } from '../../platform/jobs/queues';
import { AppConfig } from '../../platform/config/config';
import { OutgoingMail } from './outgoing-mail';

export const MAIL_QUEUE = 'mail';
export const MAIL_OUTBOX = Symbol('MailOutbox');

/**
 * The producer side: any process queues, workers send. The job id is the notification id, so the
 * same cause queued twice while its job waits is one job; the mail log catches it after that.
 * A job carries the address and the rendered text only until it is sent (removed on completion;
 * a job that exhausted its attempts is recorded in the mail log, then removed).
 */
export class MailOutbox {
  constructor(readonly queue: Queue<OutgoingMail>) {}

  async enqueue(mail: OutgoingMail): Promise<void> {
    await this.queue.add(mail.category, mail, { jobId: mail.notificationId });
  }

  async close(): Promise<void> {
    await this.queue.close();
    await closeQueueConnection(this.queue);
  }
}

export function createMailOutbox(config: AppConfig): MailOutbox {
  return new MailOutbox(
    new Queue<OutgoingMail>(MAIL_QUEUE, {
      connection: queueConnection(config),
      prefix: queuePrefix(config),
      defaultJobOptions: {
        attempts: config.mail.jobAttempts,
        backoff: { type: 'exponential', delay: config.mail.jobBackoffMs },
        removeOnComplete: true,
        removeOnFail: true,
      },
    }),
  );
}
