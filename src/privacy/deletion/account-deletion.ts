import { Inject, Injectable } from '@nestjs/common';
import { AccountsService } from '../../accounts/accounts.service';
import { ApiKeysService } from '../../api-keys/api-keys.service';
import { SessionStore } from '../../auth/session-store';
import { Kysely } from 'kysely';
import { APP_CONFIG, AppConfig } from '../../platform/config/config';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { MAIL_OUTBOX, MailOutbox } from '../../notifications/mail/mail-outbox';
import { accountAddress } from '../../notifications/notices/account-address';
import { deletionDoneMail } from '../../notifications/templates/deletion-done';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../../platform/personal-data/personal-data.vault';

export const DELETION_ACTOR = 'system:account-deletion';

export interface DeletionOutcome {
  accountId: string;
  /** false when an earlier run had already recorded AccountDeleted. */
  recorded: boolean;
  shredded: boolean;
  revokedKeys: number;
  endedSessions: number;
}

/**
 * Completes one due deletion. Every step is idempotent, so a run interrupted anywhere is finished
 * by the next: 1. AccountDeleted (the decider refuses before the due time or after a cancellation,
 * and appends nothing the second time); 2. the last mail queued (`deleted-{accountId}`), while the
 * address can still be opened: a run after the shredding finds none and queues nothing; 3. the
 * person's vault key shredded; 4. keys revoked and sessions ended once more (anything created in
 * the projection-lag window of the request).
 * The accounts read model anonymises itself from the event. Money records are not touched:
 * ledger, usage and payment events hold pseudonymous ids and amounts only (P6).
 */
@Injectable()
export class AccountDeletion {
  private readonly addressOf: (accountId: string) => Promise<string | null>;

  constructor(
    private readonly accounts: AccountsService,
    private readonly keys: ApiKeysService,
    private readonly sessions: SessionStore,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(MAIL_OUTBOX) private readonly outbox: MailOutbox,
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(KYSELY) db: Kysely<Database>,
  ) {
    this.addressOf = accountAddress(store, db, vault);
  }

  async complete(accountId: string, at: Date): Promise<DeletionOutcome> {
    const context = { actorId: DELETION_ACTOR, occurredAt: at.toISOString() };
    const before = await this.accounts.state(accountId);
    await this.accounts.completeDeletion(accountId, this.config.privacy.deletionGraceDays, context);
    const to = await this.addressOf(accountId);
    if (to) await this.outbox.enqueue({ notificationId: `deleted-${accountId}`, category: 'privacy', accountId, to, ...deletionDoneMail({ at: context.occurredAt }) });
    const shredded = await this.vault.shred(accountId, at);
    const revokedKeys = await this.keys.revokeAll(accountId, context);
    const endedSessions = await this.sessions.endAll(accountId);
    return { accountId, recorded: !before.deleted, shredded, revokedKeys, endedSessions };
  }
}
