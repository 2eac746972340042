import { setTimeout as sleep } from 'node:timers/promises';
import { Kysely } from 'kysely';
import { Database } from '../../platform/database/schema';
import { Logger } from '../../platform/observability/logger';
import { MailOutbox } from '../mail/mail-outbox';
import { nodeOfflineMail } from '../templates/node-offline';

/** An approved node recorded offline, as the nodes read model tells it. */
export interface OfflineNode {
  nodeId: string;
  name: string;
  providerId: string;
  offlineSince: Date;
}

/**
 * The nodes read model's reader of outages begun within [from, to). Provided by nodes/
 * (nodesOfflineSince, through NodesPortsModule), so that notifications never imports nodes/.
 */
export type OfflineNodes = (db: Kysely<Database>, from: Date, to: Date) => Promise<OfflineNode[]>;
export const OFFLINE_NODES = Symbol('OfflineNodes');

/** Outages that began longer ago than this (plus the notice delay) are not mailed: a first deployment does not mail old history. */
const LOOKBACK_MS = 24 * 3_600_000;

/**
 * Mails a provider once per outage of an approved node that has lasted NODE_OFFLINE_NOTICE_MINUTES.
 * An outage is named by its node and the time it was recorded offline, so the notification id
 * `node-offline-{nodeId}-{ms}` is the same on every pass (and in every worker): the outbox's job id
 * and the mail log make the repeated passes one mail. A node back online before the delay is
 * never mailed; a new outage is a new id.
 */
export class NodeOfflineWatch {
  private stopping = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly nodesOfflineSince: OfflineNodes,
    private readonly outbox: MailOutbox,
    private readonly addressOf: (accountId: string) => Promise<string | null>,
    private readonly options: { noticeAfterMs: number; everyMs: number; publicUrl: string },
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.loop) return;
    this.stopping = new AbortController();
    this.loop = this.run(this.stopping.signal);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    this.loop = null;
  }

  /** One pass; returns the outages queued (already-mailed ones are skipped by the mail log). */
  async check(now = new Date()): Promise<number> {
    const to = new Date(now.getTime() - this.options.noticeAfterMs);
    const outages = await this.nodesOfflineSince(this.db, new Date(to.getTime() - LOOKBACK_MS), to);
    if (outages.length === 0) return 0;
    const ids = outages.map((o) => `node-offline-${o.nodeId}-${o.offlineSince.getTime()}`);
    const mailed = new Set((await this.db.selectFrom('mail_log').select('notification_id').where('notification_id', 'in', ids).execute()).map((r) => r.notification_id));
    let queued = 0;
    for (const [i, outage] of outages.entries()) {
      if (mailed.has(ids[i])) continue;
      const to = await this.addressOf(outage.providerId);
      if (!to) continue;
      const mail = nodeOfflineMail({
        nodeName: outage.name,
        nodeId: outage.nodeId,
        since: outage.offlineSince.toISOString(),
        minutes: Math.round(this.options.noticeAfterMs / 60_000),
        settingsUrl: `${this.options.publicUrl}/me/notifications`,
      });
      await this.outbox.enqueue({ notificationId: ids[i], category: 'node-status', accountId: outage.providerId, to, ...mail });
      queued++;
    }
    return queued;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.check();
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'node offline check failed; retrying at the next pass');
      }
      await sleep(this.options.everyMs, undefined, { signal }).catch(() => undefined); // aborted: stopping
    }
  }
}
