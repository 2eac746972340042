import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { Role } from './roles';

export const ROLES_KEY = 'tollgate:roles';

/**
 * The route needs at least one of these roles (checked by RolesGuard against the current roles).
 * The document says so too (`x-roles` on each operation; a handler's own @Roles wins over its controller's).
 */
export const Roles = (...roles: Role[]) => applyDecorators(SetMetadata(ROLES_KEY, roles), ApiExtension('x-roles', roles));
