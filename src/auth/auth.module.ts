import { DynamicModule, Module, Provider, Type } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AppConfig } from '../platform/config/config';
import { GoogleStateStore } from './google-state.store';
import { GoogleController } from './google.controller';
import { GoogleStrategy } from './google.strategy';
import { PasswordController } from './password.controller';
import { PasswordStrategy } from './password.strategy';
import { MySessionsController } from './my-sessions.controller';
import { SessionController } from './session.controller';
import { SessionsModule } from './sessions.module';
import { SignInService } from './sign-in.service';
import { SignUpProof } from './email-proof/sign-up-proof';
import { LedgerModule } from '../ledger/ledger.module';
import { SignInThrottle } from './sign-in.throttle';
import { TelegramController } from './telegram.controller';
import { TelegramStrategy } from './telegram.strategy';

/**
 * Sign-in: email+password always; Google and Telegram only when configured. A method that is
 * not configured has no controller at all, so its routes are plain 404s and absent from /docs.
 * (Passport strategies register globally by name: one configuration per process.)
 */
@Module({})
export class AuthModule {
  static register(config: AppConfig): DynamicModule {
    const controllers: Type[] = [PasswordController, SessionController, MySessionsController];
    const providers: Provider[] = [SignInService, SignInThrottle, PasswordStrategy, SignUpProof];
    if (config.google) {
      controllers.push(GoogleController);
      providers.push(GoogleStateStore, GoogleStrategy);
    }
    if (config.telegramBotToken) {
      controllers.push(TelegramController);
      providers.push(TelegramStrategy);
    }
    return { module: AuthModule, imports: [AccountsModule, SessionsModule, LedgerModule], controllers, providers };
  }
}
