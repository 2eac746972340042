import { Inject, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Worker } from 'bullmq';
import { Kysely } from 'kysely';
import { Pool } from 'pg';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { KYSELY, PG_POOL } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../../platform/personal-data/personal-data.vault';
import { accountAddress } from '../notices/account-address';
import { NodeOfflineWatch, OFFLINE_NODES, OfflineNodes } from '../notices/node-offline-watch';
import { NoticeReactor } from '../notices/notice-reactor';
import { NotificationPreferencesModule } from '../preferences/notification-preferences.module';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { closeQueueConnection, queueConnection, queuePrefix } from '../../platform/jobs/queues';
import { MailMetrics } from './mail-metrics';
import { MAIL_OUTBOX, MAIL_QUEUE, MailOutbox } from './mail-outbox';
import { MAIL_TRANSPORT, MailSender } from './mail-sender';
import { createMailTransport, MailTransport } from './mail-transport';
import { OutgoingMail } from './outgoing-mail';

/** Mails in flight per worker process (each waits on the SMTP relay). */
const MAIL_CONCURRENCY = 4;

/** Sends queued mails, turns events into notices and watches for node outages (worker and all roles). */
@Module({
  imports: [NotificationPreferencesModule],
  providers: [
    { provide: MAIL_TRANSPORT, inject: [APP_CONFIG, LOGGER], useFactory: (config: AppConfig, logger: Logger) => createMailTransport(config.mail, logger) },
    MailSender,
    MailMetrics,
    {
      provide: NoticeReactor,
      inject: [EVENT_STORE, PERSONAL_DATA_VAULT, MAIL_OUTBOX, KYSELY, PG_POOL, APP_CONFIG, LOGGER],
      useFactory: (store: EventStore, vault: PersonalDataVault, outbox: MailOutbox, db: Kysely<Database>, pool: Pool, config: AppConfig, logger: Logger) =>
        new NoticeReactor(store, vault, outbox, db, pool, config.publicUrl, logger.child({ component: 'notices' })),
    },
    {
      provide: NodeOfflineWatch,
      inject: [EVENT_STORE, PERSONAL_DATA_VAULT, MAIL_OUTBOX, KYSELY, OFFLINE_NODES, APP_CONFIG, LOGGER],
      useFactory: (store: EventStore, vault: PersonalDataVault, outbox: MailOutbox, db: Kysely<Database>, offlineNodes: OfflineNodes, config: AppConfig, logger: Logger) =>
        new NodeOfflineWatch(
          db,
          offlineNodes,
          outbox,
          accountAddress(store, db, vault),
          { noticeAfterMs: config.mail.nodeOfflineNoticeMs, everyMs: config.mail.nodeOfflineCheckEveryMs, publicUrl: config.publicUrl },
          logger.child({ component: 'node-offline-watch' }),
        ),
    },
  ],
})
export class MailWorkerModule implements OnApplicationBootstrap, OnModuleDestroy {
  private worker: Worker<OutgoingMail> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(MAIL_TRANSPORT) private readonly transport: MailTransport,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly sender: MailSender,
    @Inject(NoticeReactor) private readonly notices: NoticeReactor,
    @Inject(NodeOfflineWatch) private readonly nodeOffline: NodeOfflineWatch,
  ) {}

  onApplicationBootstrap(): void {
    this.logger.info({ transport: this.transport.kind, dir: this.transport.kind === 'file' ? this.config.mail.dir : undefined }, 'mail sender ready');
    this.worker = new Worker<OutgoingMail>(MAIL_QUEUE, (job) => this.sender.process(job), {
      connection: queueConnection(this.config),
      prefix: queuePrefix(this.config),
      concurrency: MAIL_CONCURRENCY,
    });
    this.worker.on('error', (err) => this.logger.warn({ err: err.message }, 'mail worker error'));
    this.notices.start();
    this.nodeOffline.start();
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.notices.stop(), this.nodeOffline.stop()]);
    const worker = this.worker;
    this.worker = null;
    // A mail being handed to the relay finishes (bounded by SMTP_TIMEOUT_MS); the rest wait in the queue.
    await worker?.close();
    if (worker) await closeQueueConnection(worker);
    this.transport.close();
  }
}
