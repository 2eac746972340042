import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { TokenExpiredError } from 'jsonwebtoken';
import { unauthorized } from '../common/domain-error';
import { SESSION_STRATEGY } from './session.strategy';

/** Dashboard routes: a valid access token of a live session of an active account. */
@Injectable()
export class SessionGuard extends AuthGuard(SESSION_STRATEGY) {
  override handleRequest<TUser>(err: unknown, user: TUser | false, info: unknown): TUser {
    if (err) throw err;
    if (user) return user;
    // A distinct code tells the dashboard to call /auth/refresh instead of showing the sign-in page.
    if (info instanceof TokenExpiredError) throw unauthorized('access_token_expired', 'The access token expired; refresh the session.');
    throw unauthorized('session_required', 'Sign in first.');
  }
}
