import { z } from 'zod';
import { API_KEY_NAME_MAX, LIMIT_MAX } from '../api-keys/api-key.decide';
import { Time } from '../platform/http/schema/fields';

const EXPIRES_AT_MAX = 40;

const limit = () => z.number().int().min(1).max(LIMIT_MAX).nullable().optional().describe('null or absent: no limit of its own');

/**
 * POST /me/keys. `expiresAt` is text here: the service reads it with the one date parser and
 * keeps its own code (invalid_expiry) for a time that is no time or not in the future.
 */
export const IssueKeyBody = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(API_KEY_NAME_MAX)
    .meta({ examples: ['ci'] }),
  expiresAt: z
    .string()
    .min(1)
    .max(EXPIRES_AT_MAX)
    .nullable()
    .optional()
    .meta({ description: 'ISO-8601 time with a zone, in the future; null or absent: never expires.', examples: ['2027-01-01T00:00:00Z'] }),
  limits: z.strictObject({ requestsPerMinute: limit(), tokensPerMinute: limit() }).nullable().optional(),
});

/** What anyone may see of a key: never the key or its hash. */
export const ApiKeyView = z.object({
  id: z.string().describe('The 12 characters after tg_live_'),
  name: z.string(),
  prefix: z.string().meta({ examples: ['tg_live_AbCdEf123456'] }),
  status: z.enum(['active', 'revoked', 'expired']),
  createdAt: Time,
  lastUsedAt: Time.nullable(),
  expiresAt: Time.nullable(),
  revokedAt: Time.nullable(),
  limits: z.object({ requestsPerMinute: z.number().int().nullable(), tokensPerMinute: z.number().int().nullable() }),
  rotatedFrom: z.string().nullable().describe('The key this one replaced (rotation)'),
  replacedBy: z.string().nullable().describe('The key that replaced this one (rotation)'),
});

/** POST /me/keys and POST /me/keys/:id/rotate: the full key, in this answer only. */
export const IssuedKey = z.object({
  key: z.string().meta({ description: 'The full key. Shown this once: only its hash is stored.', examples: ['tg_live_AbCdEf123456_…'] }),
  apiKey: ApiKeyView,
});
