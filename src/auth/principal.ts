import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { Role, SignInMethod } from '../accounts/account.events';
import { AccountState } from '../accounts/account.decide';

/**
 * Who is calling a dashboard route. Roles and status are the account's CURRENT ones (read from
 * its event stream on every request), never the copy in the JWT, so a revoked role or a
 * suspension takes effect on the next request.
 */
export interface SessionPrincipal {
  accountId: string;
  sessionId: string;
  roles: Role[];
  status: AccountState['status'];
  /** A first Google/Telegram sign-in that has not yet confirmed age and terms: only the eligibility step is open. */
  eligibilityPending: boolean;
}

/** What a sign-in strategy hands to its controller before a session is started. */
export interface SignInResult {
  accountId: string;
  method: SignInMethod;
  created: boolean;
  /** Created by following the link mailed at a password sign-up. */
  emailProven?: boolean;
}

/** The principal set by SessionGuard (passport puts it on `req.user`). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): SessionPrincipal => {
  const principal = ctx.switchToHttp().getRequest<Request>().user as SessionPrincipal | undefined;
  if (!principal) throw new Error('CurrentPrincipal used on a route without SessionGuard'); // programmer error
  return principal;
});

/** The result of a sign-in strategy (passport puts it on `req.user`). */
export const SignedInAccount = createParamDecorator((_data: unknown, ctx: ExecutionContext): SignInResult => {
  const result = ctx.switchToHttp().getRequest<Request>().user as SignInResult | undefined;
  if (!result) throw new Error('SignedInAccount used on a route without a sign-in guard'); // programmer error
  return result;
});
