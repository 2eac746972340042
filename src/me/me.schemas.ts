import { z } from 'zod';
import { PASSWORD_MAX_LENGTH } from '../accounts/password';
import { EMAIL_MAX_LENGTH } from '../auth/auth.schemas';

/** PATCH /me (policy P8): only the fields sent change; null clears one. */
export const UpdateProfileBody = z.strictObject({
  displayName: z.string().min(1).max(100).nullable().optional(),
  // Dashboards render it as an image source: only https, never javascript: or data: URLs.
  picture: z
    .string()
    .min(9)
    .max(2_000)
    .regex(/^https:\/\/[^\s]+$/, 'must be an https:// URL')
    .nullable()
    .optional(),
});

/** Only lengths here: the service checks the password policy and names its rule. */
export const ChangePasswordBody = z.strictObject({
  currentPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH).optional().describe('Required when the account has a password'),
  newPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH),
});

export const ChangeEmailBody = z.strictObject({
  email: z.string().min(3).max(EMAIL_MAX_LENGTH).meta({ example: 'ada@example.com' }),
  currentPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH).optional().describe('Required when the account has a password'),
});
