import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { Role } from './roles';

/**
 * Who is calling a dashboard route. Roles and status are the account's CURRENT ones (read from
 * its event stream on every request), never the copy in the JWT, so a revoked role or a
 * suspension takes effect on the next request. Set by auth/'s session strategy; read by every
 * capability's routes, hence platform.
 */
export interface SessionPrincipal {
  accountId: string;
  sessionId: string;
  roles: Role[];
  /** The account's status (accounts/account.decide.ts AccountState['status']). */
  status: 'active' | 'suspended';
  /** A first Google/Telegram sign-in that has not yet confirmed age and terms: only the eligibility step is open. */
  eligibilityPending: boolean;
}

/** The principal set by SessionGuard (passport puts it on `req.user`). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): SessionPrincipal => {
  const principal = ctx.switchToHttp().getRequest<Request>().user as SessionPrincipal | undefined;
  if (!principal) throw new Error('CurrentPrincipal used on a route without SessionGuard'); // programmer error
  return principal;
});
