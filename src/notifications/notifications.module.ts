import { Global, Inject, Module, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { createMailOutbox, MAIL_OUTBOX, MailOutbox } from './mail/mail-outbox';

/** The outbox, in every process that may cause a mail (the sending is the worker's: mail-worker.module.ts). */
@Global()
@Module({
  providers: [{ provide: MAIL_OUTBOX, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createMailOutbox(config) }],
  exports: [MAIL_OUTBOX],
})
export class NotificationsModule implements OnModuleDestroy {
  constructor(@Inject(MAIL_OUTBOX) private readonly outbox: MailOutbox) {}

  async onModuleDestroy(): Promise<void> {
    await this.outbox.close();
  }
}
