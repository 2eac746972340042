import { Pool } from 'pg';
import { unavailable } from '../platform/errors/domain-error';
import { CommandContext } from '../platform/event-sourcing/decider';
import { UsageDiscrepancy } from './usage-discrepancies';
import { RecordUsage } from './usage-charge.decide';

/**
 * A charge to record, with what goes with it: enough for recovery to store it exactly as the
 * request would have (same event ids, same streams). Metadata only (P1).
 */
export interface ChargeIntent {
  command: RecordUsage;
  context: CommandContext;
  discrepancies: UsageDiscrepancy[];
}

type Json = Record<string, unknown>;

export function intentToJson(intent: ChargeIntent): Json {
  const { costMicroUsd, reservedMicroUsd, vendorCostMicroUsd, ...rest } = intent.command;
  return {
    command: {
      ...rest,
      costMicroUsd: costMicroUsd.toString(),
      ...(reservedMicroUsd !== undefined ? { reservedMicroUsd: reservedMicroUsd.toString() } : {}),
      ...(vendorCostMicroUsd !== undefined ? { vendorCostMicroUsd: vendorCostMicroUsd.toString() } : {}),
    },
    context: intent.context,
    discrepancies: intent.discrepancies,
  };
}

/** The stored intent back; null when its shape cannot be trusted (the decider checks the rest). */
export function intentFromJson(json: unknown): ChargeIntent | null {
  const j = json as { command?: Json; context?: Json; discrepancies?: unknown } | null;
  const c = j?.command;
  if (!c || typeof c !== 'object' || typeof c.costMicroUsd !== 'string' || !/^\d{1,19}$/.test(c.costMicroUsd)) return null;
  if (c.reservedMicroUsd !== undefined && !(typeof c.reservedMicroUsd === 'string' && /^\d{1,19}$/.test(c.reservedMicroUsd))) return null;
  if (c.vendorCostMicroUsd !== undefined && !(typeof c.vendorCostMicroUsd === 'string' && /^\d{1,19}$/.test(c.vendorCostMicroUsd))) return null;
  if (!j?.context || typeof j.context.actorId !== 'string' || typeof j.context.occurredAt !== 'string' || !Array.isArray(j.discrepancies)) return null;
  const command = {
    ...c,
    costMicroUsd: BigInt(c.costMicroUsd),
    ...(c.reservedMicroUsd !== undefined ? { reservedMicroUsd: BigInt(c.reservedMicroUsd as string) } : {}),
    ...(c.vendorCostMicroUsd !== undefined ? { vendorCostMicroUsd: BigInt(c.vendorCostMicroUsd as string) } : {}),
  } as unknown as RecordUsage;
  return { command, context: j.context as unknown as CommandContext, discrepancies: j.discrepancies as UsageDiscrepancy[] };
}

export interface UsageIntentsOptions {
  /** Most intents written in one statement. */
  maxBatch: number;
  /** Most intents waiting; past it open() refuses at once. */
  maxQueue: number;
}

interface Opening {
  intent: ChargeIntent;
  openedAt: Date;
  dueAt: Date;
  /** true once durable; false when withdrawn before it was sent. */
  resolve(stored: boolean): void;
  reject(error: unknown): void;
}

/**
 * The intents of the /v1 hot path (table usage_intents, migration 0014), by group commit like the
 * charges: intents opened while a statement is in flight share the next one, and deletions of
 * charged requests ride along in the same statement, so a request adds a share of one PostgreSQL
 * round trip and no round trip of its own. Idle, an intent goes out at the end of the event-loop
 * turn. One statement in flight at a time.
 */
export class UsageIntents {
  /** By request id, in the order opened (a Map keeps it): withdraw() is one lookup, not a scan. */
  private readonly opening = new Map<string, Opening>();
  private closing: string[] = [];
  private running: Promise<void> | null = null;
  private scheduled = false;
  private readonly counts = { statements: 0, failedStatements: 0, opened: 0, refused: 0, withdrawn: 0 };

  constructor(
    private readonly pool: Pool,
    private readonly options: UsageIntentsOptions,
  ) {}

  /**
   * Resolves true once the intent is durable (from then on the request is charged even if this
   * process dies), or false if it was withdrawn before it was sent.
   */
  open(intent: ChargeIntent, openedAt: Date, dueAt: Date): Promise<boolean> {
    if (this.opening.size >= this.options.maxQueue) {
      this.counts.refused++;
      return Promise.reject(unavailable('metering_overloaded', 'Too many charges are waiting to be recorded; retry shortly.'));
    }
    // The row is built when its statement is: most intents of short streams are withdrawn before.
    return new Promise<boolean>((resolve, reject) => {
      // Opened again before it was sent (ids are per request, so not in practice): the last one counts.
      this.opening.get(intent.command.requestId)?.resolve(false);
      this.opening.set(intent.command.requestId, { intent, openedAt, dueAt, resolve, reject });
      this.schedule();
    });
  }

  /**
   * The request is handing its charge to the store: an intent still waiting for a statement is
   * dropped (it resolves false) rather than inserted and then deleted. Such an intent was not
   * durable yet, so this leaves the window of a process death as it was: within one commit of the
   * node's first byte (docs/trusting-nodes.md, "Intents"). Under load, when intents queue behind
   * the statement in flight, short streams end before theirs is sent and cost no intent at all.
   */
  withdraw(requestId: string): boolean {
    const withdrawn = this.opening.get(requestId);
    if (!withdrawn) return false;
    this.opening.delete(requestId);
    this.counts.withdrawn++;
    withdrawn.resolve(false);
    return true;
  }

  /** The request's charge is stored: its intent goes with the next statement (best effort; recovery skips a charged one). */
  close(requestId: string): void {
    if (this.closing.length < this.options.maxQueue) this.closing.push(requestId);
    this.schedule();
  }

  /**
   * The request could not store its charge: keep the exact one for recovery, at once (one
   * statement of its own; this is the failure path). Creates the intent if it was never opened.
   */
  async finalize(intent: ChargeIntent, openedAt: Date): Promise<void> {
    const final = intentToJson(intent);
    await this.pool.query(
      `INSERT INTO usage_intents (request_id, account_id, opened_at, due_at, charge, final) VALUES ($1, $2, $3, $3, $4::jsonb, $4::jsonb)
       ON CONFLICT (request_id) DO UPDATE SET final = excluded.final`,
      [intent.command.requestId, intent.command.accountId, openedAt.toISOString(), JSON.stringify(final)],
    );
  }

  stats() {
    return { ...this.counts, waiting: this.opening.size };
  }

  /** Writes what is waiting (shutdown). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.running) await this.running;
      else if (this.opening.size > 0 || this.closing.length > 0) this.start();
      else return;
    }
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.running && (this.opening.size > 0 || this.closing.length > 0)) this.start();
    });
  }

  private start(): void {
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.opening.size > 0 || this.closing.length > 0) this.schedule();
    });
  }

  private async drain(): Promise<void> {
    while (this.opening.size > 0 || this.closing.length > 0) {
      const opens: Opening[] = [];
      for (const [requestId, o] of this.opening) {
        if (opens.length === this.options.maxBatch) break;
        opens.push(o);
        this.opening.delete(requestId);
      }
      const closes = this.closing.splice(0, this.options.maxBatch);
      await this.write(opens, closes);
    }
  }

  private async write(opens: Opening[], closes: string[]): Promise<void> {
    this.counts.statements++;
    try {
      // One per request id (the queue is keyed by it), so ON CONFLICT never touches a row twice.
      const rows = opens.map((o) => ({
        request_id: o.intent.command.requestId,
        account_id: o.intent.command.accountId,
        opened_at: o.openedAt.toISOString(),
        due_at: o.dueAt.toISOString(),
        charge: intentToJson(o.intent),
      }));
      await this.pool.query({
        name: 'tg_usage_intents',
        text: `WITH closed AS (DELETE FROM usage_intents WHERE request_id = ANY($2::text[]))
               INSERT INTO usage_intents (request_id, account_id, opened_at, due_at, charge)
               SELECT x.request_id, x.account_id, x.opened_at, x.due_at, x.charge
                 FROM jsonb_to_recordset($1::jsonb) AS x(request_id text, account_id text, opened_at timestamptz, due_at timestamptz, charge jsonb)
               ON CONFLICT (request_id) DO NOTHING`,
        values: [JSON.stringify(rows), closes],
      });
    } catch (err) {
      this.counts.failedStatements++;
      for (const o of opens) o.reject(err);
      return;
    }
    this.counts.opened += opens.length;
    for (const o of opens) o.resolve(true);
  }
}
