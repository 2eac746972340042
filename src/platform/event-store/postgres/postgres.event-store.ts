import { EventEmitter } from 'node:events';
import { Pool } from 'pg';
import { checkAppend, checkMultiAppend, checkStreamName, checkTruncation, readCount } from '../event-store.arguments';
import { DuplicateEventIdError, EventStoreArgumentError, EventStoreUnavailableError, StreamNotFoundError, StreamVersionConflictError } from '../event-store.errors';
import {
  AllSubscription,
  AppendResult,
  EventFilter,
  EventStore,
  ExpectedRevision,
  MultiAppendItem,
  MultiAppendResult,
  NewEvent,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeAllOptions,
} from '../event-store.port';
import { PostgresAllSubscription } from './postgres.subscription';
import { EventRow, toRecordedEvent } from './postgres.rows';

/**
 * append re-runs after a unique violation. Appends to one stream wait for each other on the
 * stream's lock (migration 0016), so none loses a revision race; what is left is an event id
 * committed meanwhile in another stream, and the re-run then answers it (duplicate, idempotent).
 */
const MAX_APPEND_RETRIES = 5;
/**
 * appendToStreams re-runs a whole batch that lost a race (each loss means a concurrent writer
 * committed to one of its streams, so every attempt makes progress somewhere).
 */
const MAX_MULTI_RETRIES = 10;
const DEADLOCK_DETECTED = '40P01';
const HORIZON_WAIT_MAX_MS = 2_000;
const HORIZON_POLL_MS = 5;
const UNIQUE_VIOLATION = '23505';
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P03', '08006', '08001']);

/**
 * The in-flight horizon: the oldest transaction of this database still running when the statement
 * began (or the snapshot's xmax when none is). Only events below it are read, so $all never moves
 * past a gap a late commit would fill. Transaction ids are shared by every database of the server,
 * and pg_snapshot_xmin alone would count another database's long transaction (another suite's test
 * holding one open, a report on another database) though it can never write to this events table:
 * the running ids seen belonging to another database are left out. Leaving one in is only
 * conservative (an id that ended meanwhile waits a poll); an id of this database is never left out.
 */
const HORIZON = `coalesce((
  SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
  WHERE x::xid NOT IN (SELECT a.backend_xid FROM pg_stat_activity a WHERE a.backend_xid IS NOT NULL AND a.datname <> current_database())
), pg_snapshot_xmax(pg_current_snapshot()))`;
const SAFE = `e.transaction_id < ${HORIZON}`;
const COLUMNS = 'e.global_position, e.transaction_id, e.stream, e.revision, e.event_id, e.event_type, e.data, e.metadata, e.created_at';

export interface PostgresEventStoreOptions {
  pollIntervalMs: number;
  /** Whether close() ends the pool (false when the pool is shared with the rest of the app). */
  ownsPool?: boolean;
}

/**
 * The event store on PostgreSQL. Group commit is appendToStreams (append_to_streams, migration
 * 0007): like append_to_stream it reads every stream's current revision before the transaction's
 * first write, or its transaction id could sort before an event it depends on.
 */
export class PostgresEventStore implements EventStore {
  /** Wakes this process's subscriptions at once after a local append; others poll. */
  private readonly appended = new EventEmitter();

  constructor(
    private readonly pool: Pool,
    private readonly options: PostgresEventStoreOptions,
  ) {
    this.appended.setMaxListeners(0);
  }

  async append(stream: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    checkAppend(stream, events);
    const kind = typeof expectedRevision === 'bigint' ? 'revision' : expectedRevision;
    const revision = typeof expectedRevision === 'bigint' ? expectedRevision.toString() : null;
    const params = [
      stream,
      kind,
      revision,
      events.map((e) => e.id),
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => JSON.stringify(e.metadata ?? {})),
    ];
    for (let attempt = 0; ; attempt++) {
      try {
        const { rows } = await this.query<AppendRow>(
          'tg_append',
          'SELECT outcome, last_revision, commit_position, prepare_position FROM append_to_stream($1, $2, $3, $4::uuid[], $5::text[], $6::jsonb[], $7::jsonb[])',
          params,
        );
        const last = rows[rows.length - 1];
        if (last.outcome === 'conflict') {
          throw new StreamVersionConflictError(stream, describe(expectedRevision), describeActual(last.last_revision));
        }
        if (last.outcome === 'duplicate') throw new DuplicateEventIdError(events[0].id);
        if (last.outcome === 'appended') this.appended.emit('append');
        return {
          nextExpectedRevision: BigInt(last.last_revision as string),
          position: { commit: BigInt(last.commit_position as string), prepare: BigInt(last.prepare_position as string) },
        };
      } catch (err) {
        // A concurrent append to another stream took the same event ids first: re-running
        // lets the function report it (duplicate) or an idempotent success.
        if (isUniqueViolation(err) && attempt < MAX_APPEND_RETRIES) continue;
        if (isUniqueViolation(err)) throw new StreamVersionConflictError(stream, describe(expectedRevision), 'unknown (concurrent writers)');
        throw err;
      }
    }
  }

  /**
   * Group commit: the whole call is one statement (append_to_streams, migration 0007), so one
   * transaction and one WAL flush for every item; all or nothing. A race lost to a concurrent
   * writer (unique violation; a deadlock with a writer inserting in another order) re-runs it.
   */
  async appendToStreams(items: readonly MultiAppendItem[]): Promise<MultiAppendResult[]> {
    checkMultiAppend(items);
    // One JSON text: node-postgres encodes text arrays of JSON far slower than JSON.stringify.
    const params = [JSON.stringify(items.map((i) => ({ stream: i.stream, id: i.event.id, type: i.event.type, data: i.event.data, metadata: i.event.metadata ?? {} })))];
    for (let attempt = 0; ; attempt++) {
      try {
        const { rows } = await this.query<MultiAppendRow>(
          'tg_append_multi',
          'SELECT event_id, outcome, revision, commit_position, prepare_position FROM append_to_streams($1::jsonb)',
          params,
        );
        const indexOf = new Map(items.map((item, index) => [item.event.id.toLowerCase(), index]));
        const results: MultiAppendResult[] = new Array(items.length);
        let appended = false;
        for (const row of rows) {
          const index = indexOf.get(row.event_id) as number;
          if (row.outcome === 'duplicate') {
            results[index] = { ok: false, error: new DuplicateEventIdError(items[index].event.id) };
            continue;
          }
          appended ||= row.outcome === 'appended';
          results[index] = {
            ok: true,
            outcome: row.outcome,
            revision: BigInt(row.revision as string),
            position: { commit: BigInt(row.commit_position as string), prepare: BigInt(row.prepare_position as string) },
          };
        }
        if (appended) this.appended.emit('append');
        if (rows.length !== items.length) throw new Error(`append_to_streams answered ${rows.length} rows for ${items.length} items`);
        return results;
      } catch (err) {
        if ((isUniqueViolation(err) || isDeadlock(err)) && attempt < MAX_MULTI_RETRIES) continue;
        if (isUniqueViolation(err) || isDeadlock(err)) {
          throw new EventStoreUnavailableError(`appendToStreams lost ${attempt + 1} races to concurrent writers; retry`, { cause: err });
        }
        throw err;
      }
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    checkStreamName(stream);
    const count = readCount(options.maxCount);
    const backwards = options.direction === 'backwards';
    // Backwards from the end and backwards from a revision are two statements, for the reason in readAllAfter.
    const from = options.fromRevision ?? (backwards ? null : 0n);
    const { rows } =
      from === null
        ? await this.query<EventRow>('tg_read_stream_last', `SELECT ${COLUMNS} FROM events e WHERE e.stream = $1 ORDER BY e.revision DESC LIMIT $2`, [stream, count])
        : await this.query<EventRow>(
            backwards ? 'tg_read_stream_bwd' : 'tg_read_stream_fwd',
            `SELECT ${COLUMNS} FROM events e WHERE e.stream = $1 AND e.revision ${backwards ? '<=' : '>='} $2 ORDER BY e.revision ${backwards ? 'DESC' : ''} LIMIT $3`,
            [stream, from.toString(), count],
          );
    if (rows.length === 0) await this.assertStreamExists(stream);
    return rows.map(toRecordedEvent);
  }

  /**
   * Read-your-writes for $all. Events held back by an older in-flight transaction always sort
   * after every readable one, so a full page is complete; only a short page waits (briefly)
   * for those transactions, so a caller sees what was appended before it called.
   */
  /** Deletes the rows (one statement, by the (stream, revision) index); the last event always stays. */
  async truncateStreamBefore(stream: string, before: bigint): Promise<void> {
    checkTruncation(stream, before);
    const { rows } = await this.query<{ last: string | null }>('tg_stream_last', 'SELECT max(revision)::text AS last FROM events WHERE stream = $1', [stream]);
    const last = rows[0]?.last;
    if (last === null || last === undefined) throw new StreamNotFoundError(stream);
    if (before > BigInt(last)) throw new EventStoreArgumentError(`truncateStreamBefore(${stream}, ${before}): the last event (${last}) always stays`);
    await this.query('tg_truncate_stream', 'DELETE FROM events WHERE stream = $1 AND revision < $2', [stream, before.toString()]);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const count = readCount(options.maxCount);
    const deadline = Date.now() + HORIZON_WAIT_MAX_MS;
    for (;;) {
      const page = await this.readAllAfter(options.after ?? null, count, options.filter);
      // Past the deadline the page is still correct, only not the newest.
      if (page.length === count || (await this.settled()) || Date.now() > deadline) return page;
      await new Promise((r) => setTimeout(r, HORIZON_POLL_MS));
    }
  }

  /** True when no committed event is held back behind an in-flight transaction. */
  private async settled(): Promise<boolean> {
    const { rows } = await this.query<{ settled: boolean }>('tg_settled', `SELECT coalesce((SELECT max(e.transaction_id) FROM events e) < ${HORIZON}, true) AS settled`, []);
    return rows[0].settled;
  }

  /**
   * Shared by readAll and subscriptions: one page of $all strictly after `after`, below the in-flight
   * horizon. Reading from the start and reading after a position are two statements, never one with
   * `$1 IS NULL OR (…) > ($1, $2)`: once PostgreSQL plans a prepared statement generically, that OR
   * can only be a filter, and every poll walked the index from the first event (62 ms at 200,000
   * events instead of 0.3; test/event-store/postgres.late-commit.spec.ts, "reads a page after a
   * position through the index").
   */
  async readAllAfter(after: Position | null, count: number, filter?: EventFilter): Promise<RecordedEvent[]> {
    const params: unknown[] = [count];
    let where = SAFE;
    if (after) {
      params.push(after.commit.toString(), after.prepare.toString());
      where += ` AND (e.transaction_id, e.global_position) > ($2::xid8, $3::bigint)`;
    }
    if (filter) {
      params.push(filter.prefixes.map((p) => `${escapeLike(p)}%`));
      where += ` AND e.${filter.kind === 'streamPrefix' ? 'stream' : 'event_type'} LIKE ANY($${params.length}::text[])`;
    }
    const name = `tg_read_all${filter ? `_${filter.kind}` : ''}${after ? '_after' : ''}`;
    const { rows } = await this.query<EventRow>(name, `SELECT ${COLUMNS} FROM events e WHERE ${where} ORDER BY e.transaction_id, e.global_position LIMIT $1`, params);
    return rows.map(toRecordedEvent);
  }

  subscribeAll(options: SubscribeAllOptions = {}): AllSubscription {
    return new PostgresAllSubscription(this, this.appended, {
      after: options.after ?? null,
      filter: options.filter,
      pollIntervalMs: this.options.pollIntervalMs,
    });
  }

  /** The last committed event, even if an older transaction still holds it back from subscribers. */
  async headPosition(): Promise<Position | null> {
    return this.head('tg_head', '');
  }

  /** The last event a subscriber may read now (below the in-flight horizon). */
  async safeHeadPosition(): Promise<Position | null> {
    return this.head('tg_safe_head', `WHERE ${SAFE}`);
  }

  private async head(name: string, where: string): Promise<Position | null> {
    const { rows } = await this.query<{ transaction_id: string; global_position: string }>(
      name,
      `SELECT e.transaction_id, e.global_position FROM events e ${where} ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1`,
      [],
    );
    return rows[0] ? { commit: BigInt(rows[0].transaction_id), prepare: BigInt(rows[0].global_position) } : null;
  }

  async ping(): Promise<void> {
    await this.query('tg_ping', 'SELECT 1 FROM events LIMIT 1', []);
  }

  async close(): Promise<void> {
    this.appended.emit('close');
    if (this.options.ownsPool) await this.pool.end();
  }

  private async assertStreamExists(stream: string): Promise<void> {
    const { rowCount } = await this.query('tg_stream_exists', 'SELECT 1 FROM events WHERE stream = $1 LIMIT 1', [stream]);
    if (!rowCount) throw new StreamNotFoundError(stream);
  }

  /** Named statements are parsed once per connection: these run on every request. */
  private async query<R extends object>(name: string, text: string, values: unknown[]) {
    try {
      return await this.pool.query<R>({ name, text, values });
    } catch (err) {
      if (isConnectionError(err)) throw new EventStoreUnavailableError(`PostgreSQL event store unreachable: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  }
}

interface AppendRow {
  outcome: 'appended' | 'idempotent' | 'conflict' | 'duplicate';
  last_revision: string | null;
  commit_position: string | null;
  prepare_position: string | null;
}

interface MultiAppendRow {
  event_id: string;
  outcome: 'appended' | 'idempotent' | 'duplicate';
  revision: string | null;
  commit_position: string | null;
  prepare_position: string | null;
}

function describe(expected: ExpectedRevision): string {
  return typeof expected === 'bigint' ? expected.toString() : expected;
}

function describeActual(lastRevision: string | null): string {
  return lastRevision === null || lastRevision === '-1' ? 'no_stream' : lastRevision;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === UNIQUE_VIOLATION;
}

function isDeadlock(err: unknown): boolean {
  return (err as { code?: string })?.code === DEADLOCK_DETECTED;
}

function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (!!e?.code && CONNECTION_ERRORS.has(e.code)) || /timeout exceeded when trying to connect|Connection terminated/i.test(e?.message ?? '');
}
