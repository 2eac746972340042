import { Kysely } from 'kysely';
import { Pool } from 'pg';
import { Database } from '../../platform/database/schema';
import { EventStore, RecordedEvent } from '../../platform/event-store/event-store.port';
import { Logger } from '../../platform/observability/logger';
import { PersonalDataVault } from '../../platform/personal-data/personal-data.vault';
import { CheckpointedReactor } from '../../platform/projection-runtime/checkpointed-reactor';
import { MailOutbox } from '../mail/mail-outbox';
import { accountAddress } from './account-address';
import { NOTICE_EVENT_TYPES, noticeFor } from './notice-for';

/** Earlier sign-ins compared with a new one (newest first): a device unseen among them is new. */
const DEVICES_REMEMBERED = 50;

export const NOTICES_CHECKPOINT = 'notices';
const LOCK_KEY = 'tollgate.notices';

/**
 * Turns events into notices (security, billing, data rights): one worker at a time (an advisory
 * lock) follows $all from its own checkpoint, filtered to the events that cause a mail, and queues
 * each mail under the id `notice-{eventId}`, so a retry, a restart before the checkpoint moved or
 * a replay never mails twice (the outbox's job id, then the mail log). A deployment's first start
 * begins at the head of $all: history is not mailed. The address is opened from the account's own
 * events when the mail is queued: a shredded account (P9) has none, and is not mailed.
 */
export class NoticeReactor {
  private readonly reactor: CheckpointedReactor;
  private readonly addressOf: (accountId: string, before?: bigint) => Promise<string | null>;

  constructor(
    private readonly store: EventStore,
    private readonly vault: PersonalDataVault,
    private readonly outbox: MailOutbox,
    db: Kysely<Database>,
    pool: Pool,
    private readonly publicUrl: string,
    logger: Logger,
  ) {
    this.reactor = new CheckpointedReactor({
      db,
      store,
      pool,
      logger,
      lockKey: LOCK_KEY,
      checkpoint: NOTICES_CHECKPOINT,
      filter: { kind: 'eventTypePrefix', prefixes: [...NOTICE_EVENT_TYPES] },
      checkpointEveryMs: 0,
      // The filter matches by prefix: ApiKeyIssuedX would pass it, noticeFor says no.
      handle: (event) => this.notify(event),
    });
    this.addressOf = accountAddress(store, db, vault);
  }

  start(): void {
    this.reactor.start();
  }

  stop(): Promise<void> {
    return this.reactor.stop();
  }

  private async notify(event: RecordedEvent): Promise<void> {
    const revokedKey = event.type === 'ApiKeyRevoked' ? await this.keyOf(event.stream) : undefined;
    const nodeProviderId = event.type === 'NodeSuspended' ? await this.providerOf(event.stream) : undefined;
    const newDevice = event.type === 'SignedIn' ? await this.newDevice(event) : undefined;
    const notice = noticeFor(event, { publicUrl: this.publicUrl, revokedKey, nodeProviderId, newDevice });
    if (!notice) return;
    const to = await this.addressOf(notice.accountId, notice.addressBefore);
    if (!to) return; // no email (Telegram), or shredded
    await this.outbox.enqueue({ notificationId: `notice-${event.id}`, category: notice.category, accountId: notice.accountId, to, ...notice.mail });
  }

  private async providerOf(stream: string): Promise<string | undefined> {
    const [registered] = await this.store.readStream(stream, { maxCount: 1 });
    return registered?.type === 'NodeRegistered' ? String(registered.data.providerId) : undefined;
  }

  private async keyOf(stream: string): Promise<{ name: string; prefix: string } | undefined> {
    const [issued] = await this.store.readStream(stream, { maxCount: 1 });
    return issued?.type === 'ApiKeyIssued' ? { name: String(issued.data.name), prefix: String(issued.data.prefix) } : undefined;
  }

  /**
   * The user agent of a sign-in that none of the account's earlier kept sign-ins came from, or
   * undefined. The first sign-in of an account is its sign-up, not a new device; a sign-in with
   * no user agent, or of a shredded account, is not told.
   */
  private async newDevice(event: RecordedEvent): Promise<string | undefined> {
    if (event.revision === 0n) return undefined;
    const accountId = event.stream.replace(/^signins-/, '');
    const device = await this.vault.open(accountId, event.data.userAgent as string | null);
    if (!device) return undefined;
    const earlier = await this.store.readStream(event.stream, { direction: 'backwards', fromRevision: event.revision - 1n, maxCount: DEVICES_REMEMBERED });
    for (const e of earlier) if (e.type === 'SignedIn' && (await this.vault.open(accountId, e.data.userAgent as string | null)) === device) return undefined;
    return device;
  }
}
