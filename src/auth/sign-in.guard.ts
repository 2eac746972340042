import { Injectable, Logger, Type } from '@nestjs/common';
import { AuthGuard, IAuthGuard } from '@nestjs/passport';
import { DomainError, unauthorized } from '../platform/errors/domain-error';
import { PASSWORD_STRATEGY } from './password.strategy';

export const GOOGLE_STRATEGY = 'google';
export const TELEGRAM_STRATEGY = 'telegram';

/**
 * A guard per sign-in method. Our own DomainErrors (400 bad body, 401 wrong password, 403
 * suspended, 429 throttled) always pass through. Password and Telegram run only our code, so
 * any other error is an outage and passes through too (5xx). Google's strategy also reports
 * failures of the OAuth exchange itself (bad code, refused client, unreadable profile), often as
 * a plain Error: those become one generic 401 that reveals nothing, logged by name only.
 */
function signInGuard(strategy: string, failureCode: string, thirdPartyProtocol: boolean): Type<IAuthGuard> {
  @Injectable()
  class SignInGuard extends AuthGuard(strategy) {
    override handleRequest<TUser>(err: unknown, user: TUser | false): TUser {
      if (err instanceof DomainError || (err && !thirdPartyProtocol)) throw err;
      if (err) new Logger('SignIn').warn(`${strategy} sign-in failed: ${(err as Error).name}`); // never the message: it may quote the provider's response
      if (err || !user) throw unauthorized(failureCode, 'Sign-in failed.'); // no user: e.g. a state mismatch or a cancelled consent
      return user;
    }
  }
  return SignInGuard;
}

export const PasswordSignInGuard = signInGuard(PASSWORD_STRATEGY, 'invalid_credentials', false);
export const GoogleSignInGuard = signInGuard(GOOGLE_STRATEGY, 'google_sign_in_failed', true);
export const TelegramSignInGuard = signInGuard(TELEGRAM_STRATEGY, 'telegram_sign_in_failed', false);
