import { z } from 'zod';
import { Time } from '../platform/http/schema/fields';

/** What every sign-in and refresh answers (session.response.ts); the refresh token travels only as a cookie. */
export const SessionResponse = z.object({
  accountId: z.string(),
  accessToken: z.string().describe('The access JWT, also set as the tg_session cookie; send it as `Authorization: Bearer` if not using cookies'),
  accessTokenExpiresAt: Time,
  created: z.boolean().optional().describe('true when this sign-in created the account'),
  eligibilityPending: z.literal(true).optional().describe('true: a first Google/Telegram sign-in must confirm age and terms (POST /me/eligibility) before any other route'),
});
export type SessionResponse = z.infer<typeof SessionResponse>;

/**
 * The fields the Telegram login widget hands to its callback, unchanged. The sign-in guard checks
 * them against the widget's hash (a schema here would refuse fields a newer widget adds, which the
 * hash covers), so this documents the shape only.
 */
export const TelegramLogin = z.object({
  id: z.number().int().meta({ example: 123456789 }),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  username: z.string().optional(),
  photo_url: z.string().optional(),
  auth_date: z.number().int().describe('Unix time (seconds) of the authorisation'),
  hash: z.string().describe('hex HMAC-SHA-256 of the data-check-string, keyed with SHA-256(bot token)'),
});

/** One live session of the signed-in person (GET /me/sessions, POST /me/sessions/:id/revoke). */
export const SessionView = z.object({
  id: z.string().describe('The id to end it with'),
  current: z.boolean().describe('The session making this request'),
  method: z.enum(['password', 'google', 'telegram', 'cli']),
  device: z.string().describe('Browser and system family'),
  createdAt: Time,
  lastUsedAt: Time,
});
