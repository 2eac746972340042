import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { DATE_RANGE_TEXT, instantOf } from '../platform/http/dates';
import { invalid } from '../platform/errors/domain-error';
import { KYSELY } from '../platform/database/database.module';
import { Database } from '../platform/database/schema';
import { Page, pageSize } from '../ledger/ledger.queries';

export interface AuditLogFilter {
  actor?: string;
  /** Any target value (an account id, a key id, a node id…). */
  target?: string;
  /** Exact action, e.g. `GET /support/accounts/:id/timeline`. */
  action?: string;
  from?: Date;
  to?: Date;
}

export interface AuditLogEntry {
  eventId: string;
  at: string;
  actorId: string;
  actorRoles: string[];
  action: string;
  channel: string;
  target: Record<string, string>;
  query: Record<string, string | null>;
  outcome: { status: number | null; exitCode: number | null; code: string };
  requestId: string | null;
  stream: string;
  revision: string;
}

/** `{at ISO}~{event id}` of the last row of a page; the next page is strictly older. */
function readCursor(before: string | undefined): { at: Date; eventId: string | null } | null {
  if (!before) return null;
  const [time, eventId] = before.split('~');
  const at = instantOf(time);
  if (!at || (eventId !== undefined && !/^[0-9a-f-]{36}$/i.test(eventId)))
    throw invalid('invalid_cursor', `before must be an ISO-8601 time in ${DATE_RANGE_TEXT} or the nextCursor of a previous page.`);
  return { at, eventId: eventId ?? null };
}

/** Read side of the audit log, newest first. */
@Injectable()
export class AuditLogQueries {
  constructor(@Inject(KYSELY) private readonly db: Kysely<Database>) {}

  async list(filter: AuditLogFilter & { limit?: number; before?: string }): Promise<Page<AuditLogEntry>> {
    const limit = pageSize(filter.limit);
    const cursor = readCursor(filter.before);
    let query = this.db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('at', 'desc')
      .orderBy('event_id', 'desc')
      .limit(limit + 1);
    if (filter.actor) query = query.where('actor_id', '=', filter.actor);
    if (filter.target) query = query.where(sql<boolean>`target_ids @> ARRAY[${filter.target}]::text[]`);
    if (filter.action) query = query.where('action', '=', filter.action);
    if (filter.from) query = query.where('at', '>=', filter.from);
    if (filter.to) query = query.where('at', '<', filter.to);
    if (cursor) {
      const { at, eventId } = cursor;
      query = eventId ? query.where((eb) => eb.or([eb('at', '<', at), eb.and([eb('at', '=', at), eb('event_id', '<', eventId)])])) : query.where('at', '<', at);
    }
    const rows = await query.execute();
    const items = rows.slice(0, limit).map((r): AuditLogEntry => ({
      eventId: r.event_id,
      at: r.at.toISOString(),
      actorId: r.actor_id,
      actorRoles: r.actor_roles,
      action: r.action,
      channel: r.channel,
      target: r.target,
      query: r.query,
      outcome: { status: r.outcome_status, exitCode: r.outcome_exit_code, code: r.outcome_code },
      requestId: r.request_id,
      stream: r.stream,
      revision: r.revision,
    }));
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? `${last.at}~${last.eventId}` : null };
  }
}
