import { z } from 'zod';
import { Role, ROLES } from '../platform/access/roles';
import { coded } from '../platform/http/schema/fields';

const REASON_MAX = 500;

/**
 * POST /admin/accounts/:id/roles. Any role name passes the check (an unknown one is `unknown_role`,
 * as before); provider is then refused by the roles service, since it is granted only through an invite.
 */
export const GrantRoleBody = z.strictObject({
  role: z
    .string()
    .max(40)
    .meta({ enum: ROLES.filter((r) => r !== 'provider'), description: 'provider is granted only through an invite' })
    .transform((role, ctx) => {
      if ((ROLES as readonly string[]).includes(role)) return role as Role;
      coded(ctx, 'unknown_role', `{field} must be one of ${ROLES.join(', ')}.`);
      return z.NEVER;
    }),
});

/** POST /admin/accounts/:id/suspend. */
export const SuspendBody = z.strictObject({ reason: z.string().min(1).max(REASON_MAX).describe('Recorded in the audit trail.') });
