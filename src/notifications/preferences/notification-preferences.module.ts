import { Module } from '@nestjs/common';
import { MailConsent } from './mail-consent';
import { PreferencesController } from './preferences.controller';
import { PreferencesService } from './preferences.service';
import { UnsubscribeController } from './unsubscribe.controller';

/** Preferences and the sender's consent check, in every process that sends or changes them. */
@Module({
  providers: [PreferencesService, MailConsent],
  exports: [PreferencesService, MailConsent],
})
export class NotificationPreferencesModule {}

/**
 * /me/notifications and the one-click unsubscribe link (API processes). The guards are platform/access's;
 * auth/'s SessionsModule, loaded by every API process, registers their session strategy.
 */
@Module({
  imports: [NotificationPreferencesModule],
  controllers: [PreferencesController, UnsubscribeController],
})
export class PreferencesHttpModule {}
