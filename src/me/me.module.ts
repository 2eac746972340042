import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { SessionsModule } from '../auth/sessions.module';
import { SignInThrottle } from '../auth/sign-in.throttle';
import { MeKeysController } from './me-keys.controller';
import { MeController } from './me.controller';
import { MeService } from './me.service';

/** The dashboard's self-service routes: /me and /me/keys. */
@Module({
  imports: [AccountsModule, ApiKeysModule, SessionsModule],
  controllers: [MeController, MeKeysController],
  providers: [MeService, SignInThrottle],
})
export class MeModule {}
