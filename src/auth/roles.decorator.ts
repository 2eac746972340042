import { SetMetadata } from '@nestjs/common';
import { Role } from '../accounts/account.events';

export const ROLES_KEY = 'tollgate:roles';

/** The route needs at least one of these roles (checked by RolesGuard against the current roles). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
