import { Pool } from 'pg';
import { DuplicateEventIdError } from '../platform/event-store/event-store.errors';
import { EventStore, MultiAppendItem } from '../platform/event-store/event-store.port';
import { CreditHolds } from '../ledger/spending/credit-holds';
import { positionKey } from '../ledger/spending/position-key';
import { Logger } from '../platform/observability/logger';
import { usageChargeItem } from './usage-batcher';
import { DiscrepancyEvents } from './usage-discrepancies';
import { ChargeIntent, intentFromJson } from './usage-intents';

export interface UsageRecoveryOptions {
  /** Intents recovered per event-store call (each with up to 6 events, under MAX_EVENTS_PER_APPEND). */
  batchSize: number;
  /** Calls per run at most; the next run continues. */
  maxBatchesPerRun: number;
  /** An intent that failed this often is left for an operator (logged, counted as stuck). */
  maxAttempts: number;
}

export const DEFAULT_RECOVERY_OPTIONS: UsageRecoveryOptions = { batchSize: 100, maxBatchesPerRun: 50, maxAttempts: 20 };

export interface RecoveryReport {
  /** Charges stored by this run. */
  recovered: number;
  /** Intents whose charge the request had stored after all (their deletion was lost). */
  alreadyCharged: number;
  failed: number;
}

interface DueRow {
  request_id: string;
  charge: unknown;
  final: unknown;
  attempts: number;
}

/**
 * Records the charges that requests could not (docs/trusting-nodes.md, "Recovery"): every intent
 * with a final charge (the request ended without storing it), and every intent past its due time
 * (the process died mid-request; charged at the request's bounds). Exactly once: the events are
 * the ones the request would have stored (same ids, same streams), so a charge that did get
 * stored makes the append a no-op. Then the hold is settled and the intent deleted.
 * Runs at every process start and on a schedule in workers; concurrent runs are harmless.
 */
export class UsageRecovery {
  private readonly counts = { recovered: 0, alreadyCharged: 0, failed: 0 };

  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    private readonly holds: CreditHolds,
    /** The node's trust events for a charge's discrepancies (DISCREPANCY_EVENTS, provided by nodes/). */
    private readonly discrepancyItems: DiscrepancyEvents,
    private readonly logger: Logger,
    private readonly options: UsageRecoveryOptions = DEFAULT_RECOVERY_OPTIONS,
  ) {}

  stats() {
    return { ...this.counts };
  }

  /** Intents that failed maxAttempts times and wait for an operator. */
  async stuck(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM usage_intents WHERE attempts >= $1', [this.options.maxAttempts]);
    return Number(rows[0].n);
  }

  async runOnce(now: Date = new Date()): Promise<RecoveryReport> {
    const report: RecoveryReport = { recovered: 0, alreadyCharged: 0, failed: 0 };
    for (let i = 0; i < this.options.maxBatchesPerRun; i++) {
      const { rows } = await this.pool.query<DueRow>(
        `SELECT request_id, charge, final, attempts FROM usage_intents
          WHERE (final IS NOT NULL OR due_at <= $1) AND attempts < $2
          ORDER BY opened_at LIMIT $3`,
        [now.toISOString(), this.options.maxAttempts, this.options.batchSize],
      );
      if (rows.length === 0) break;
      await this.recover(rows, report);
      if (rows.length < this.options.batchSize) break;
    }
    for (const k of ['recovered', 'alreadyCharged', 'failed'] as const) this.counts[k] += report[k];
    if (report.recovered > 0 || report.failed > 0) this.logger.info({ ...report }, 'charges recovered from intents');
    return report;
  }

  private async recover(rows: DueRow[], report: RecoveryReport): Promise<void> {
    const charges: { row: DueRow; intent: ChargeIntent; at: number }[] = [];
    const items: MultiAppendItem[] = [];
    for (const row of rows) {
      const stored = intentFromJson(row.final ?? row.charge);
      try {
        if (!stored) throw new Error('intent unreadable');
        const intent: ChargeIntent = { ...stored, command: { ...stored.command, recovered: row.final ? 'final' : 'bound' } };
        const item = usageChargeItem(intent.command, intent.context);
        charges.push({ row, intent, at: items.length });
        items.push(item, ...this.discrepancyItems(intent.command, intent.discrepancies));
      } catch (err) {
        await this.failed(row, err, report);
      }
    }
    if (items.length === 0) return;
    let results;
    try {
      results = await this.store.appendToStreams(items);
    } catch (err) {
      for (const c of charges) await this.failed(c.row, err, report);
      return;
    }
    const done: string[] = [];
    for (const { row, intent, at } of charges) {
      const result = results[at];
      if (result?.ok) {
        if (result.outcome === 'idempotent') report.alreadyCharged++;
        else report.recovered++;
        const { accountId, requestId, costMicroUsd } = intent.command;
        await this.holds
          .settle(accountId, requestId, costMicroUsd, positionKey(result.position))
          .catch((err: Error) => this.logger.warn({ requestId, err: err.message }, 'recovered charge stored; settle failed, the hold will expire'));
        done.push(row.request_id);
      } else if (result && result.error instanceof DuplicateEventIdError) {
        report.alreadyCharged++; // stored in another stream: charged already
        done.push(row.request_id);
      } else {
        await this.failed(row, result?.error, report);
      }
    }
    if (done.length > 0) await this.pool.query('DELETE FROM usage_intents WHERE request_id = ANY($1::text[])', [done]);
  }

  private async failed(row: DueRow, err: unknown, report: RecoveryReport): Promise<void> {
    report.failed++;
    const reason = err instanceof Error ? `${err.name}: ${(err as { code?: string }).code ?? ''}`.slice(0, 200) : 'unknown';
    const attempts = row.attempts + 1;
    if (attempts >= this.options.maxAttempts) this.logger.error({ requestId: row.request_id, attempts, reason }, 'a charge could not be recovered; it waits for an operator');
    await this.pool.query('UPDATE usage_intents SET attempts = $2, last_error = $3 WHERE request_id = $1', [row.request_id, attempts, reason]).catch(() => undefined);
  }
}
