import { setTimeout as sleep } from 'node:timers/promises';
import { Kysely } from 'kysely';
import { Pool } from 'pg';
import { Database } from '../../platform/database/schema';
import { comparePositions, EventStore, Position, RecordedEvent } from '../../platform/event-store/event-store.port';
import { CREDITS_STREAM_PREFIX } from '../../ledger/credits.events';
import { formatUsd } from '../../platform/money';
import { creditsSnapshot } from '../../ledger/spending/credits-snapshot';
import { USAGE_DAY_SUMMARIZED } from '../../metering/usage-summary';
import { USAGE_STREAM_PREFIX } from '../../metering/usage.events';
import { Logger } from '../../platform/observability/logger';
import { PersonalDataVault } from '../../platform/personal-data/personal-data.vault';
import { CheckpointedReactor } from '../../platform/projection-runtime/checkpointed-reactor';
import { MailOutbox } from '../mail/mail-outbox';
import { accountAddress } from '../notices/account-address';
import { PREFERENCES_STREAM_PREFIX } from '../preferences/preferences.events';
import { lowBalanceMail } from '../templates/low-balance';
import { crossing, developerDeltas } from './low-balance';

export const LOW_BALANCE_CHECKPOINT = 'low-balance';
const LOCK_KEY = 'tollgate.low-balance';
/** The checkpoint is a resume hint (rows guard replays), so it is written at most this often. */
const CHECKPOINT_EVERY_MS = 500;
/** How long a new threshold waits for the ledger read model to reach it before the loop retries. */
const SEED_WAIT_MS = 10_000;
const SEED_RETRY_MS = 50;

type Watch = Database['low_balance_watch'];

/**
 * Low-balance alerts (issue 16, item 2), off the /v1 hot path: one worker at a time follows the
 * money streams and the preference streams from its own checkpoint. Only accounts that set a
 * threshold are followed: their balance is seeded from the ledger read model when the threshold
 * is set, then moved by each charge, top-up or grant. Each row keeps the position its balance
 * includes and the revision its threshold is from, so a replayed event (a restart before the
 * checkpoint moved, a replay from the start) changes nothing. The mail is queued before the row
 * moves, under `low-balance-{eventId}` of the event that crossed: a crash between the two queues
 * the same id again (the outbox and the mail log make that one mail). A deployment's first start
 * begins at the head of $all.
 */
export class LowBalanceReactor {
  private readonly reactor: CheckpointedReactor;
  private readonly addressOf: (accountId: string) => Promise<string | null>;
  /**
   * Accounts with a threshold, loaded when this worker starts leading and kept by thresholdSet
   * (the only writer of the table is this reactor, one leader at a time): a charge to any other
   * account, i.e. nearly every event, costs no query.
   */
  private watched = new Set<string>();

  constructor(
    store: EventStore,
    vault: PersonalDataVault,
    private readonly outbox: MailOutbox,
    private readonly db: Kysely<Database>,
    pool: Pool,
    private readonly settingsUrl: string,
    logger: Logger,
  ) {
    this.reactor = new CheckpointedReactor({
      db,
      store,
      pool,
      logger,
      lockKey: LOCK_KEY,
      checkpoint: LOW_BALANCE_CHECKPOINT,
      filter: { kind: 'streamPrefix', prefixes: [CREDITS_STREAM_PREFIX, USAGE_STREAM_PREFIX, PREFERENCES_STREAM_PREFIX] },
      checkpointEveryMs: CHECKPOINT_EVERY_MS,
      prepare: async () => {
        const rows = await db.selectFrom('low_balance_watch').select('account_id').where('threshold_micro_usd', 'is not', null).execute();
        this.watched = new Set(rows.map((r) => r.account_id));
      },
      handle: (event) => this.apply(event),
    });
    this.addressOf = accountAddress(store, db, vault);
  }

  start(): void {
    this.reactor.start();
  }

  stop(): Promise<void> {
    return this.reactor.stop();
  }

  private async apply(event: RecordedEvent): Promise<void> {
    if (event.stream.startsWith(PREFERENCES_STREAM_PREFIX)) {
      if (event.type === 'LowBalanceThresholdSet') await this.thresholdSet(event);
      return;
    }
    // A usage day summary nets charges already applied one by one: it moves no balance.
    if (event.type === USAGE_DAY_SUMMARIZED) return;
    const deltas = developerDeltas(event);
    const accounts = [...deltas.keys()].filter((id) => this.watched.has(id));
    if (accounts.length === 0) return;
    const watched = await this.db.selectFrom('low_balance_watch').selectAll().where('account_id', 'in', accounts).where('threshold_micro_usd', 'is not', null).execute();
    for (const row of watched) {
      if (row.balance_micro_usd === null || row.balance_commit === null || row.balance_prepare === null || row.threshold_micro_usd === null) continue;
      if (comparePositions(event.position, { commit: BigInt(row.balance_commit), prepare: BigInt(row.balance_prepare) }) <= 0) continue; // already in the balance
      const balance = BigInt(row.balance_micro_usd) + (deltas.get(row.account_id) ?? 0n);
      const threshold = BigInt(row.threshold_micro_usd);
      const next = crossing(balance, threshold, row.alerted);
      if (next.mail) await this.mail(row.account_id, event, balance, threshold);
      await this.save(row.account_id, {
        balance_micro_usd: balance.toString(),
        balance_commit: event.position.commit.toString(),
        balance_prepare: event.position.prepare.toString(),
        alerted: next.alerted,
      });
    }
  }

  private async thresholdSet(event: RecordedEvent): Promise<void> {
    const accountId = event.stream.slice(PREFERENCES_STREAM_PREFIX.length);
    const raw = event.data.thresholdMicroUsd;
    const threshold = typeof raw === 'string' && /^\d{1,19}$/.test(raw) ? BigInt(raw) : null;
    const row = await this.db.selectFrom('low_balance_watch').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    if (row && BigInt(row.threshold_revision) >= event.revision) return; // replayed
    const revision = event.revision.toString();
    if (threshold === null) {
      // No threshold: nothing followed; a later one starts from a fresh balance.
      await this.upsert(accountId, {
        threshold_micro_usd: null,
        threshold_revision: revision,
        balance_micro_usd: null,
        balance_commit: null,
        balance_prepare: null,
        alerted: false,
      });
      this.watched.delete(accountId);
      return;
    }
    const known = row?.balance_micro_usd != null && row.balance_commit !== null && row.balance_prepare !== null;
    const balance = known
      ? { micro: BigInt(row.balance_micro_usd as string), commit: row.balance_commit as string, prepare: row.balance_prepare as string }
      : await this.seed(accountId, event.position);
    // Setting a threshold the balance is already under mails once, as a crossing would.
    const next = crossing(balance.micro, threshold, known ? (row?.alerted ?? false) : false);
    if (next.mail) await this.mail(accountId, event, balance.micro, threshold);
    await this.upsert(accountId, {
      threshold_micro_usd: threshold.toString(),
      threshold_revision: revision,
      balance_micro_usd: balance.micro.toString(),
      balance_commit: balance.commit,
      balance_prepare: balance.prepare,
      alerted: next.alerted,
    });
    this.watched.add(accountId);
  }

  /**
   * The balance from the ledger read model, once it includes `position`, with the position it is
   * exactly at (one statement, one snapshot): later money events up to there are then skipped.
   */
  private async seed(accountId: string, position: Position): Promise<{ micro: bigint; commit: string; prepare: string }> {
    const deadline = Date.now() + SEED_WAIT_MS;
    for (;;) {
      const snapshot = await creditsSnapshot(this.db, accountId);
      if (snapshot.position && comparePositions(snapshot.position, position) >= 0) {
        return { micro: snapshot.creditsMicroUsd, commit: snapshot.position.commit.toString(), prepare: snapshot.position.prepare.toString() };
      }
      if (Date.now() > deadline) throw new Error('the ledger read model has not reached a new low-balance threshold yet');
      await sleep(SEED_RETRY_MS);
    }
  }

  private async mail(accountId: string, event: RecordedEvent, balanceMicroUsd: bigint, thresholdMicroUsd: bigint): Promise<void> {
    const to = await this.addressOf(accountId);
    if (!to) return; // no email (Telegram), or shredded
    const at = typeof event.metadata.occurredAt === 'string' ? event.metadata.occurredAt : event.createdAt.toISOString();
    const mail = lowBalanceMail({ balanceUsd: formatUsd(balanceMicroUsd), thresholdUsd: formatUsd(thresholdMicroUsd), at, settingsUrl: this.settingsUrl });
    await this.outbox.enqueue({ notificationId: `low-balance-${event.id}`, category: 'low-balance', accountId, to, ...mail });
  }

  private async save(accountId: string, set: Partial<Omit<Watch, 'account_id'>>): Promise<void> {
    await this.db
      .updateTable('low_balance_watch')
      .set({ ...set, updated_at: new Date() })
      .where('account_id', '=', accountId)
      .execute();
  }

  private async upsert(accountId: string, values: Omit<Watch, 'account_id' | 'updated_at'>): Promise<void> {
    const row = { ...values, updated_at: new Date() };
    await this.db
      .insertInto('low_balance_watch')
      .values({ account_id: accountId, ...row })
      .onConflict((oc) => oc.column('account_id').doUpdateSet(row))
      .execute();
  }
}
