import { sql, Transaction } from 'kysely';
import { AccountEvent } from './account.events';
import { Database } from '../platform/database/schema';
import { RecordedEvent } from '../platform/event-store/event-store.port';
import { hasStrings } from '../platform/projection-runtime/event-shape';
import { Projector } from '../platform/projection-runtime/projector';

/**
 * Accounts: roles, status, sealed profile fields. Each row keeps the stream revision it
 * reflects; an update applies only to a row that is behind the event (a replay changes nothing).
 */
export const accountsProjection: Projector = {
  name: 'accounts',
  tables: ['accounts'],
  async apply(trx, events) {
    for (const event of events) if (event.stream.startsWith('account-')) await applyOne(trx, event);
  },
};

async function applyOne(trx: Transaction<Database>, recorded: RecordedEvent): Promise<void> {
  const event = { type: recorded.type, data: recorded.data } as AccountEvent;
  const revision = recorded.revision.toString();
  const accountId = recorded.stream.slice('account-'.length);
  const update = (set: Record<string, unknown>) =>
    trx
      .updateTable('accounts')
      .set({ ...set, revision })
      .where('account_id', '=', accountId)
      .where('revision', '<', revision)
      .execute();
  switch (event.type) {
    case 'AccountRegistered':
      if (!hasStrings(event.data, 'emailHash', 'via', 'registeredAt') || !Array.isArray(event.data.roles)) return;
      await trx
        .insertInto('accounts')
        .values({
          account_id: accountId,
          email_hash: event.data.emailHash,
          email_sealed: event.data.email,
          display_name_sealed: event.data.displayName,
          picture_sealed: event.data.picture,
          roles: event.data.roles,
          status: 'active',
          registered_via: event.data.via,
          registered_at: new Date(event.data.registeredAt),
          deletion_requested_at: null,
          deletion_due_at: null,
          deleted_at: null,
          restricted_at: null,
          revision,
        })
        .onConflict((oc) => oc.column('account_id').doNothing())
        .execute();
      return;
    case 'EmailChanged':
      if (hasStrings(event.data, 'emailHash', 'email')) await update({ email_hash: event.data.emailHash, email_sealed: event.data.email });
      return;
    case 'ProfileUpdated': {
      const set: Record<string, unknown> = {};
      if (event.data.displayName !== undefined) set.display_name_sealed = event.data.displayName;
      if (event.data.picture !== undefined) set.picture_sealed = event.data.picture;
      await update(set);
      return;
    }
    case 'RoleGranted':
      if (!hasStrings(event.data, 'role')) return;
      await update({ roles: sql`array_append(array_remove(roles, ${event.data.role}), ${event.data.role})` });
      return;
    case 'RoleRevoked':
      if (!hasStrings(event.data, 'role')) return;
      await update({ roles: sql`array_remove(roles, ${event.data.role})` });
      return;
    case 'AccountSuspended':
      await update({ status: 'suspended' });
      return;
    case 'AccountReinstated':
      await update({ status: 'active' });
      return;
    case 'DeletionRequested':
      if (!hasStrings(event.data, 'requestedAt')) return;
      // Early events carry no due time; the sweep then applies the current grace period.
      await update({
        deletion_requested_at: new Date(event.data.requestedAt),
        deletion_due_at: typeof event.data.dueAt === 'string' ? new Date(event.data.dueAt) : null,
      });
      return;
    case 'ReportedMinorFlagged':
      if (!hasStrings(event.data, 'flaggedAt')) return;
      // Due at once (issue 22): if the deletion that follows the flag was interrupted, the sweep finishes it.
      await update({ deletion_requested_at: new Date(event.data.flaggedAt), deletion_due_at: new Date(event.data.flaggedAt) });
      return;
    case 'DeletionCancelled':
      await update({ deletion_requested_at: null, deletion_due_at: null });
      return;
    case 'AccountDeleted':
      if (!hasStrings(event.data, 'deletedAt')) return;
      // Anonymised: the sealed fields go (their key is shredded too), and the email's keyed hash is
      // replaced by a value no email hashes to, so a lookup by email never finds the old row.
      await update({
        email_hash: `deleted:${accountId}`,
        email_sealed: null,
        display_name_sealed: null,
        picture_sealed: null,
        roles: [],
        restricted_at: null,
        deleted_at: new Date(event.data.deletedAt),
      });
      return;
    case 'ProcessingRestricted':
      if (!hasStrings(event.data, 'restrictedAt')) return;
      await update({ restricted_at: new Date(event.data.restrictedAt) });
      return;
    case 'ProcessingRestrictionLifted':
      await update({ restricted_at: null });
      return;
    default:
      await update({}); // PasswordChanged and unknown events only move the revision
  }
}
