import { z } from 'zod';
import { PASSWORD_MAX_LENGTH } from '../accounts/password';
import { EligibilityFields, eligibilityOf } from '../accounts/eligibility/eligibility';
import { Time } from '../platform/http/schema/fields';

export const EMAIL_MAX_LENGTH = 320;

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

/** POST /auth/register: the account's email and password, and the eligibility attestation (eligibility.ts). */
export const RegisterBody = z
  .strictObject({
    email: z.string().min(3).max(EMAIL_MAX_LENGTH).meta({ example: 'ada@example.com' }),
    // Only the length here: the service checks the password policy and names its rule.
    password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
    displayName: z.string().min(1).max(100).optional(),
    ...EligibilityFields,
  })
  .transform(({ over18, termsVersion, privacyVersion, ...rest }, ctx) => ({ ...rest, eligibility: eligibilityOf({ over18, termsVersion, privacyVersion }, ctx) }));

/** The mailed link's token: sent as JSON by programs, or urlencoded by the confirmation page's form. */
export const ConfirmTokenBody = z.strictObject({ token: z.string().min(1).max(2_000).describe('The token of the mailed link') });

/** The confirmation page's address carries the token; a missing one shows the page's "no link" text. */
// Not strict: a mail client or link checker may add parameters, and the page must still open.
export const ConfirmPageQuery = z.object({ token: z.string().optional().describe('The token of the mailed link') });

export const LoginBody = z.strictObject({
  email: z.string().min(3).max(EMAIL_MAX_LENGTH).meta({ example: 'ada@example.com' }),
  password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
});

/** A change that waits for a mailed link (sign-up, email change). */
export const CheckYourEmail = z.object({ status: z.literal('check_your_email'), message: z.string() });
