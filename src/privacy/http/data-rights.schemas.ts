import { z } from 'zod';
import { Time } from '../../platform/http/schema/fields';
import { DELETION_NOTE_MAX } from '../data-rights.service';

/** POST /admin/accounts/:id/deletion-request: a deletion the person asked for outside the dashboard. */
export const AdminDeletionBody = z.strictObject({
  channel: z.literal('email').describe('How the person asked.'),
  note: z.string().min(1).max(DELETION_NOTE_MAX).optional().describe('Stored sealed with the person’s key (shredded with them).'),
});

/** DELETE /me/deletion-request: both null once cancelled. */
export const DeletionStatus = z.object({
  requestedAt: Time.nullable(),
  dueAt: Time.nullable().describe('When the account is erased (the grace period ends)'),
});

/** A deletion request (the person's or an admin's): its times, and what was ended at once. */
export const DeletionRequested = z.object({
  ...DeletionStatus.shape,
  revokedKeys: z.number().int().describe('API keys revoked now'),
  endedSessions: z.number().int().describe('Sessions ended now'),
});

const section = (description: string) => z.array(z.looseObject({})).describe(description);

/**
 * GET /me/export (P7), streamed section by section; the last field is `"complete": true`, so a
 * document cut short is never mistaken for a whole one. The sections' items are described here only
 * loosely: they are the records themselves (never key or password hashes, numbers masked).
 */
export const ExportDocument = z.looseObject({
  format: z.literal('tollgate-export/1'),
  generatedAt: Time,
  accountId: z.string(),
  profile: z.looseObject({ accountId: z.string() }).describe('The account as GET /me shows it'),
  dataRights: z.object({
    deletion: z.object({ requested: z.boolean(), requestedAt: Time.nullable(), dueAt: Time.nullable() }),
    restriction: z.object({ restricted: z.boolean(), restrictedAt: Time.nullable() }),
  }),
  apiKeys: section('As GET /me/keys'),
  kyc: z.looseObject({}).nullable().describe('As GET /me/kyc (masked); null when never submitted'),
  notificationPreferences: z.looseObject({}).describe('As GET /me/notifications'),
  agreements: section('Terms and policies accepted, with their versions and times'),
  signIns: section('Sign-ins and sessions'),
  usage: section('Usage records'),
  paymentOrders: section('Payment orders'),
  ledgerLines: section('Credit ledger lines of the account'),
  complete: z.literal(true),
});
