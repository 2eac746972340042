import { z } from 'zod';
import { ALL_CATEGORIES, MailCategory } from '../mail/mail-categories';

/** The body of PUT/PATCH /me/notifications: only the fields sent change. */
export const ChangePreferences = z
  .strictObject({
    categories: z
      .strictObject(Object.fromEntries(ALL_CATEGORIES.map((c) => [c, z.boolean().optional()])) as Record<MailCategory, z.ZodOptional<z.ZodBoolean>>)
      .optional()
      .describe('Category → on/off; only optional categories may be off. Marketing on is explicit consent, recorded with its time.'),
    lowBalanceThresholdUsd: z
      .string()
      .min(1)
      .max(20)
      .nullable()
      .optional()
      .describe('Mail once when the balance falls below this (USD, up to 6 decimals, e.g. "5.00"); null for none.'),
  })
  .refine((b) => Object.keys(b.categories ?? {}).length > 0 || b.lowBalanceThresholdUsd !== undefined, 'Nothing to change: send categories and/or lowBalanceThresholdUsd');

/** What GET /me/notifications and every change answer. */
export const PreferencesView = z.strictObject({
  categories: z.array(
    z.strictObject({
      category: z.enum(ALL_CATEGORIES as [MailCategory, ...MailCategory[]]),
      essential: z.boolean().describe('Essential mails cannot be turned off.'),
      enabled: z.boolean(),
      description: z.string(),
    }),
  ),
  marketing: z.strictObject({ consented: z.boolean(), consentedAt: z.iso.datetime().nullable() }),
  lowBalance: z.strictObject({ thresholdUsd: z.string().nullable().meta({ example: '5.00' }), thresholdMicroUsd: z.string().nullable().meta({ example: '5000000' }) }),
});
export type PreferencesView = z.infer<typeof PreferencesView>;
