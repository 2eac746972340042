import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { SessionsModule } from '../auth/sessions.module';
import { EmailChangeProof } from '../auth/email-proof/email-change-proof';
import { SignInThrottle } from '../auth/sign-in.throttle';
import { EmailChangeConfirmController } from './email-change-confirm.controller';
import { MeKeysController } from './me-keys.controller';
import { MeController } from './me.controller';
import { MeService } from './me.service';

/** The dashboard's self-service routes: /me, /me/keys, and the email change's confirmation. */
@Module({
  imports: [AccountsModule, ApiKeysModule, SessionsModule],
  controllers: [MeController, MeKeysController, EmailChangeConfirmController],
  providers: [MeService, SignInThrottle, EmailChangeProof],
})
export class MeModule {}
