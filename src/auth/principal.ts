import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { SignInMethod } from '../accounts/account.events';

/** What a sign-in strategy hands to its controller before a session is started. */
export interface SignInResult {
  accountId: string;
  method: SignInMethod;
  created: boolean;
  /** Created by following the link mailed at a password sign-up. */
  emailProven?: boolean;
}

/** The result of a sign-in strategy (passport puts it on `req.user`). */
export const SignedInAccount = createParamDecorator((_data: unknown, ctx: ExecutionContext): SignInResult => {
  const result = ctx.switchToHttp().getRequest<Request>().user as SignInResult | undefined;
  if (!result) throw new Error('SignedInAccount used on a route without a sign-in guard'); // programmer error
  return result;
});
