import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiResponse } from '@nestjs/swagger';
import { Role } from './roles';
import { Roles } from './roles.decorator';
import { RolesGuard } from './roles.guard';
import { SESSION_COOKIE } from './session-cookie';
import { SessionGuard } from './session.guard';

/**
 * A controller for signed-in callers holding one of `roles` (session cookie or bearer token;
 * checked against the current roles on every request). Handlers may narrow or widen with @Roles.
 * Staff-only routes are audited by the staff-action interceptor, which reads the same metadata.
 */
export const RoleRoutes = (roles: Role[], forbidden = 'The caller lacks the role.') =>
  applyDecorators(
    ApiCookieAuth(SESSION_COOKIE),
    ApiBearerAuth(),
    ApiResponse({ status: 401, description: 'Not signed in, or the session ended.' }),
    ApiResponse({ status: 403, description: forbidden }),
    UseGuards(SessionGuard, RolesGuard),
    Roles(...roles),
  );
