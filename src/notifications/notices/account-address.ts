import { Kysely } from 'kysely';
import { accountStream } from '../../accounts/account.events';
import { Database } from '../../platform/database/schema';
import { StreamNotFoundError } from '../../platform/event-store/event-store.errors';
import { EventStore } from '../../platform/event-store/event-store.port';
import { MAX_READ_COUNT } from '../../platform/store-limits';
import { PersonalDataVault } from '../../platform/personal-data/personal-data.vault';

/** The account events that set the address. */
const SETS_ADDRESS = new Set(['AccountRegistered', 'EmailChanged']);

/**
 * An account's email address at the time of sending, or null (no email: Telegram; shredded: P9).
 * From the account's own events, newest first (no read-model lag), else the read model (a stream
 * truncated by retention). `before`: the address as it was before that revision (the old address
 * of an email change).
 */
export function accountAddress(store: EventStore, db: Kysely<Database>, vault: PersonalDataVault): (accountId: string, before?: bigint) => Promise<string | null> {
  return async (accountId, before) => {
    let sealed: string | null | undefined;
    try {
      if (before !== undefined && before <= 0n) return null;
      const from = before === undefined ? undefined : before - 1n;
      const recent = await store.readStream(accountStream(accountId), { direction: 'backwards', fromRevision: from, maxCount: MAX_READ_COUNT });
      const setter = recent.find((e) => SETS_ADDRESS.has(e.type));
      if (setter) sealed = setter.data.email as string | null;
    } catch (err) {
      if (!(err instanceof StreamNotFoundError)) throw err;
      return null;
    }
    if (sealed === undefined && before !== undefined) return null; // the read model knows only the current address
    if (sealed === undefined) sealed = (await db.selectFrom('accounts').select('email_sealed').where('account_id', '=', accountId).executeTakeFirst())?.email_sealed;
    return vault.open(accountId, sealed);
  };
}
