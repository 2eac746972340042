import { z } from 'zod';
import { Time } from '../../platform/http/schema/fields';
import { queryInt } from '../../platform/http/schema/query';

export const FAILED_MAIL_MAX = 500;

/** GET /admin/mail/failed. */
export const FailedMailQuery = z.strictObject({
  limit: queryInt
    .pipe(z.number().int().min(1).max(FAILED_MAIL_MAX))
    .default(100)
    .meta({ description: `1..${FAILED_MAIL_MAX}, default 100.` }),
});

/** Metadata only (the mail log): no address, no text. */
export const FailedMailList = z.object({
  items: z.array(
    z.object({
      notificationId: z.string(),
      category: z.string().meta({ examples: ['low_balance'] }),
      attempts: z.number().int(),
      lastError: z.string().nullable().meta({ description: 'The last error, addresses removed.' }),
      failedAt: Time,
    }),
  ),
});
