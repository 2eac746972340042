import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy as CustomStrategy } from 'passport-custom';
import { AccountsService, normalizeEmail } from '../accounts/accounts.service';
import { PASSWORD_MAX_LENGTH } from '../accounts/password';
import { DomainError } from '../platform/errors/domain-error';
import { objectBody, requiredString } from '../platform/http/request-body';
import { clientInfo } from './client-info';
import { SignInResult } from './principal';
import { SignInThrottle } from './sign-in.throttle';

export const PASSWORD_STRATEGY = 'password';
export const EMAIL_MAX_LENGTH = 320;

/**
 * Email + password. passport-custom rather than passport-local so a malformed body is a 400
 * problem (passport-local answers 401 "missing credentials" before our code runs).
 */
@Injectable()
export class PasswordStrategy extends PassportStrategy(CustomStrategy, PASSWORD_STRATEGY) {
  constructor(
    private readonly accounts: AccountsService,
    private readonly throttle: SignInThrottle,
  ) {
    super();
  }

  async validate(req: Request): Promise<SignInResult> {
    const body = objectBody(req.body, ['email', 'password']);
    const email = requiredString(body, 'email', 3, EMAIL_MAX_LENGTH);
    const password = requiredString(body, 'password', 1, PASSWORD_MAX_LENGTH);
    const keys = this.throttle.keys(`email:${normalizeEmail(email)}`, clientInfo(req).ip);
    await this.throttle.assertAllowed(keys);
    try {
      const { accountId } = await this.accounts.verifyPassword(email, password);
      await this.throttle.recordSuccess(keys);
      return { accountId, method: 'password', created: false };
    } catch (err) {
      if (err instanceof DomainError && err.code === 'invalid_credentials') await this.throttle.recordFailure(keys);
      throw err;
    }
  }
}
