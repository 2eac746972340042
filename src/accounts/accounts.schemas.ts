import { z } from 'zod';
import { Time } from '../platform/http/schema/fields';
import { ROLES } from '../platform/access/roles';

/**
 * GET /me and GET /admin/accounts/:id: the account's profile, roles and status (accounts.service.ts AccountView).
 * Kept with the accounts capability, not in me/, so that admin/ answering with it needs no import of me/.
 */
export const AccountView = z.object({
  accountId: z.string(),
  email: z.string().nullable(),
  displayName: z.string().nullable(),
  picture: z.string().nullable(),
  roles: z.array(z.enum(ROLES)),
  status: z.enum(['active', 'suspended']).describe('suspended: sign-in, sessions and API keys are refused'),
  registeredVia: z.string().meta({ examples: ['password', 'google', 'telegram', 'cli'] }),
  registeredAt: Time,
  deletionRequestedAt: Time.nullable(),
  deletionDueAt: Time.nullable().describe('When the requested deletion completes.'),
  restrictedAt: Time.nullable().describe('Set while processing is restricted (P10).'),
});
