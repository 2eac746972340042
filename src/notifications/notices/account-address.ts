import { Kysely } from 'kysely';
import { accountStream } from '../../accounts/account.events';
import { Database } from '../../database/schema';
import { StreamNotFoundError } from '../../event-store/event-store.errors';
import { EventStore } from '../../event-store/event-store.port';
import { PersonalDataVault } from '../../personal-data/personal-data.vault';

/**
 * An account's email address at the time of sending, or null (no email: Telegram; shredded: P9).
 * From the registration event (no read-model lag), else the read model (a stream truncated by
 * retention).
 */
export function accountAddress(store: EventStore, db: Kysely<Database>, vault: PersonalDataVault): (accountId: string) => Promise<string | null> {
  return async (accountId) => {
    let sealed: string | null | undefined;
    try {
      const [first] = await store.readStream(accountStream(accountId), { maxCount: 1 });
      if (first?.type === 'AccountRegistered') sealed = first.data.email as string | null;
    } catch (err) {
      if (!(err instanceof StreamNotFoundError)) throw err;
      return null;
    }
    if (sealed === undefined) sealed = (await db.selectFrom('accounts').select('email_sealed').where('account_id', '=', accountId).executeTakeFirst())?.email_sealed;
    return vault.open(accountId, sealed);
  };
}
