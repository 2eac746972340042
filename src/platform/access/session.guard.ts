import { ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { TokenExpiredError } from 'jsonwebtoken';
import { forbidden, unauthorized } from '../errors/domain-error';
import { SessionPrincipal } from './principal';

/** The passport strategy that checks a session's access JWT (auth/session.strategy.ts registers it). */
export const SESSION_STRATEGY = 'session';

const ELIGIBILITY_STEP = 'tollgate:eligibility-step';
/** A route open to an account that has not yet confirmed age and terms (issue 22): the eligibility step itself. */
export const EligibilityStep = () => SetMetadata(ELIGIBILITY_STEP, true);

/** Dashboard routes: a valid access token of a live session of an active account. */
@Injectable()
export class SessionGuard extends AuthGuard(SESSION_STRATEGY) {
  override handleRequest<TUser>(err: unknown, user: TUser | false, info: unknown, context: ExecutionContext): TUser {
    if (err) throw err;
    if (user) {
      // A first Google/Telegram sign-in sees only the eligibility step until it confirms (no keys, no data).
      if ((user as unknown as SessionPrincipal).eligibilityPending && !Reflect.getMetadata(ELIGIBILITY_STEP, context.getHandler())) {
        throw forbidden('eligibility_pending', 'Confirm you are 18 or older and accept the terms and privacy policy first: POST /me/eligibility.');
      }
      return user;
    }
    // A distinct code tells the dashboard to call /auth/refresh instead of showing the sign-in page.
    if (info instanceof TokenExpiredError) throw unauthorized('access_token_expired', 'The access token expired; refresh the session.');
    throw unauthorized('session_required', 'Sign in first.');
  }
}
