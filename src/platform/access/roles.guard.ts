import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { Role } from './roles';
import { forbidden, unauthorized } from '../errors/domain-error';
import { SessionPrincipal } from './principal';
import { ROLES_KEY } from './roles.decorator';

/**
 * Runs after SessionGuard, whose principal carries the roles read from the account's events on
 * this very request (not the JWT's copy): revoking a role takes effect on the next request.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (!required || required.length === 0) return true;
    const principal = context.switchToHttp().getRequest<Request>().user as SessionPrincipal | undefined;
    if (!principal) throw unauthorized('session_required', 'Sign in first.');
    if (!required.some((role) => principal.roles.includes(role))) throw forbidden('role_required', `This needs one of the roles: ${required.join(', ')}.`);
    return true;
  }
}
