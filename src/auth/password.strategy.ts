import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy as CustomStrategy } from 'passport-custom';
import { AccountsService, normalizeEmail } from '../accounts/accounts.service';
import { z } from 'zod';
import { DomainError } from '../platform/errors/domain-error';
import { SchemaPipe } from '../platform/http/schema/valid';
import { LoginBody } from './auth.schemas';
import { clientInfo } from './client-info';
import { SignInResult } from './principal';
import { SignInThrottle } from './sign-in.throttle';

export const PASSWORD_STRATEGY = 'password';
export { EMAIL_MAX_LENGTH } from './auth.schemas';

// The guard runs before any pipe, so the strategy checks the body with the route's schema itself.
const loginBody = new SchemaPipe(LoginBody, 'body');

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
    const { email, password } = loginBody.transform(req.body) as z.infer<typeof LoginBody>;
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
