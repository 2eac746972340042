import { z } from 'zod';
import { Time } from '../platform/http/schema/fields';
import { queryText } from '../platform/http/schema/query';

export const AccountSearchQuery = z.strictObject({
  q: queryText(320)
    .min(1)
    .meta({ description: "An account id, the exact email the person signs in with, or an API key's public id (tg_live_…).", examples: ['dev@example.com'] }),
});

export const FoundAccount = z.object({
  accountId: z.uuid(),
  email: z.string().nullable(),
  displayName: z.string().nullable(),
  roles: z.array(z.string()),
  status: z.enum(['active', 'suspended']),
  registeredAt: Time,
  matchedBy: z.enum(['account id', 'email', 'API key']),
});

export const AccountSearchResult = z.object({ items: z.array(FoundAccount) });
export type AccountSearchResult = z.infer<typeof AccountSearchResult>;
