import { setTimeout as sleep } from 'node:timers/promises';
import { Kysely } from 'kysely';
import { Pool, PoolClient } from 'pg';
import { Database } from '../../database/schema';
import { AllSubscription, EventStore, RecordedEvent } from '../../event-store/event-store.port';
import { Logger } from '../../observability/logger';
import { PersonalDataVault } from '../../personal-data/personal-data.vault';
import { readCheckpoint, writeCheckpoint } from '../../projection-runtime/checkpoint';
import { tryLeaderLock } from '../../projection-runtime/leader-lock';
import { MailOutbox } from '../mail/mail-outbox';
import { accountAddress } from './account-address';
import { NOTICE_EVENT_TYPES, noticeFor } from './notice-for';

/** Earlier sign-ins compared with a new one (newest first): a device unseen among them is new. */
const DEVICES_REMEMBERED = 50;

export const NOTICES_CHECKPOINT = 'notices';
const LOCK_KEY = 'tollgate.notices';
const RETRY_MAX_MS = 10_000;
const LEADER_RETRY_MS = 2_000;

/**
 * Turns events into notices (security, billing, data rights): one worker at a time (an advisory
 * lock) follows $all from its own checkpoint, filtered to the events that cause a mail, and queues
 * each mail under the id `notice-{eventId}`, so a retry, a restart before the checkpoint moved or
 * a replay never mails twice (the outbox's job id, then the mail log). A deployment's first start
 * begins at the head of $all: history is not mailed. The address is opened from the account's own
 * registration event at the time of sending: a shredded account (P9) has none, and is not mailed.
 */
export class NoticeReactor {
  private stopping = false;
  private loop: Promise<void> | null = null;
  private subscription: AllSubscription | null = null;
  private readonly addressOf: (accountId: string, before?: bigint) => Promise<string | null>;

  constructor(
    private readonly store: EventStore,
    private readonly vault: PersonalDataVault,
    private readonly outbox: MailOutbox,
    private readonly db: Kysely<Database>,
    private readonly pool: Pool,
    private readonly publicUrl: string,
    private readonly logger: Logger,
  ) {
    this.addressOf = accountAddress(store, db, vault);
  }

  start(): void {
    this.stopping = false;
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.subscription?.close();
    await this.loop;
    this.loop = null;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let lock: PoolClient | null = null;
      try {
        lock = await tryLeaderLock(this.pool, LOCK_KEY);
        if (!lock) {
          await sleep(LEADER_RETRY_MS);
          continue;
        }
        await this.follow();
        failures = 0;
      } catch (err) {
        failures++;
        const delay = Math.min(RETRY_MAX_MS, 100 * 2 ** Math.min(failures, 10));
        this.logger.warn({ err: (err as Error).message, retryInMs: delay }, 'notices failed; retrying');
        await sleep(delay);
      } finally {
        lock?.release(true); // destroying the connection releases the advisory lock
      }
    }
  }

  private async follow(): Promise<void> {
    const after = await this.startPosition();
    this.subscription = this.store.subscribeAll({ after: after ?? undefined, filter: { kind: 'eventTypePrefix', prefixes: [...NOTICE_EVENT_TYPES] } });
    try {
      for await (const event of this.subscription) {
        // The filter matches by prefix: ApiKeyIssuedX would pass it, noticeFor says no.
        await this.notify(event);
        await writeCheckpoint(this.db, NOTICES_CHECKPOINT, event.position);
        if (this.stopping) break;
      }
    } finally {
      await this.subscription?.close();
      this.subscription = null;
    }
  }

  private async startPosition() {
    const inserted = await this.db
      .insertInto('projection_checkpoints')
      .values({ name: NOTICES_CHECKPOINT, commit_position: null, prepare_position: null })
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('name')
      .executeTakeFirst();
    if (inserted) {
      const head = await this.store.headPosition();
      await writeCheckpoint(this.db, NOTICES_CHECKPOINT, head);
      return head;
    }
    return readCheckpoint(this.db, NOTICES_CHECKPOINT);
  }

  private async notify(event: RecordedEvent): Promise<void> {
    const revokedKey = event.type === 'ApiKeyRevoked' ? await this.keyOf(event.stream) : undefined;
    const nodeProviderId = event.type === 'NodeSuspended' ? await this.providerOf(event.stream) : undefined;
    const newDevice = event.type === 'SignedIn' ? await this.newDevice(event) : undefined;
    const notice = noticeFor(event, { publicUrl: this.publicUrl, revokedKey, nodeProviderId, newDevice });
    if (!notice) return;
    const to = await this.addressOf(notice.accountId, notice.addressBefore);
    if (!to) return; // no email (Telegram), or shredded
    await this.outbox.enqueue({ notificationId: `notice-${event.id}`, category: notice.category, to, ...notice.mail });
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
