import { z } from 'zod';

/**
 * The unsubscribe link's query. Not strict: a mail client or link checker may add parameters, and
 * the link must still work. The token is optional here so that a missing, forged or overlong one
 * (up to the max) gets the one answer the token check gives (403 unsubscribe_link_invalid).
 */
export const UnsubscribeQuery = z.object({ token: z.string().max(2_000).optional().describe('The signed token of the mailed link') });

/**
 * RFC 8058's one-click body (application/x-www-form-urlencoded). A multipart body is accepted too
 * (not parsed: the signed token is the authority), so the controller applies this, not a pipe.
 */
export const OneClickBody = z.object({ 'List-Unsubscribe': z.literal('One-Click') });
