import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy as CustomStrategy } from 'passport-custom';
import { AccountsService } from '../accounts/accounts.service';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { SignInResult } from './principal';
import { TELEGRAM_STRATEGY } from './sign-in.guard';
import { verifyTelegramLogin } from './telegram-login';

/** The Telegram login widget's signed payload. Provided only when TELEGRAM_BOT_TOKEN is configured. */
@Injectable()
export class TelegramStrategy extends PassportStrategy(CustomStrategy, TELEGRAM_STRATEGY) {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly accounts: AccountsService,
  ) {
    super();
  }

  async validate(req: Request): Promise<SignInResult> {
    const botToken = this.config.telegramBotToken;
    if (!botToken) throw new Error('TelegramStrategy needs TELEGRAM_BOT_TOKEN'); // programmer error: provided only when set
    const user = verifyTelegramLogin(req.body, botToken, this.config.telegramAuthMaxAgeSeconds, Math.floor(Date.now() / 1000));
    const { accountId, created } = await this.accounts.signInExternal(
      'telegram',
      user.id,
      { email: null, emailVerified: false, displayName: user.displayName, picture: user.picture },
      'telegram',
    );
    return { accountId, method: 'telegram', created };
  }
}
