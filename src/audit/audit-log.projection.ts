import { Insertable } from 'kysely';
import { AuditLogTable } from '../platform/database/schema';
import { JsonObject, JsonValue, RecordedEvent } from '../platform/event-store/event-store.port';
import { AUDIT_STREAM_PREFIX } from './audit.events';
import { Projector } from '../platform/projection-runtime/projector';

const MAX_ENTRIES = 32;
const text = (value: JsonValue | undefined, max = 200): string | null => (typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null);
const int = (value: JsonValue | undefined): number | null => (typeof value === 'number' && Number.isSafeInteger(value) ? value : null);
const object = (value: JsonValue | undefined): JsonObject => (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {});

/** String-valued entries only, bounded: a malformed event is narrowed, never fatal. */
function entries(value: JsonValue | undefined, allowNull: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(object(value)).slice(0, MAX_ENTRIES)) {
    if (typeof v === 'string') out[k.slice(0, 64)] = v.slice(0, 200);
    else if (allowNull && v === null) out[k.slice(0, 64)] = null;
  }
  return out;
}

function row(event: RecordedEvent): Insertable<AuditLogTable> | null {
  const d = event.data;
  const actorId = text(d.actorId);
  const action = text(d.action, 300);
  const at = typeof d.at === 'string' ? Date.parse(d.at) : NaN;
  if (!actorId || !action || Number.isNaN(at)) return null;
  const target = entries(d.target, false) as Record<string, string>;
  const outcome = object(d.outcome);
  return {
    event_id: event.id,
    stream: event.stream,
    revision: event.revision.toString(),
    at: new Date(at),
    actor_id: actorId,
    actor_roles: Array.isArray(d.actorRoles) ? d.actorRoles.filter((r): r is string => typeof r === 'string').slice(0, 10) : [],
    action,
    channel: text(d.channel, 10) ?? 'http',
    target: JSON.stringify(target),
    target_ids: [...new Set(Object.values(target))],
    query: JSON.stringify(entries(d.query, true)),
    outcome_status: int(outcome.status),
    outcome_exit_code: int(outcome.exitCode),
    outcome_code: text(outcome.code, 100) ?? 'unknown',
    request_id: text(d.requestId, 100),
  };
}

/**
 * The audit log (P11): one row per StaffActionRecorded from the `audit-{day}` streams, keyed by
 * event id (a replayed event is skipped), every value from the event. One insert per batch.
 */
export const auditLogProjection: Projector = {
  name: 'audit-log',
  tables: ['audit_log'],
  async apply(trx, events) {
    const rows = events
      .filter((e) => e.type === 'StaffActionRecorded' && e.stream.startsWith(AUDIT_STREAM_PREFIX))
      .map(row)
      .filter((r): r is Insertable<AuditLogTable> => r !== null);
    if (rows.length === 0) return;
    await trx
      .insertInto('audit_log')
      .values(rows)
      .onConflict((oc) => oc.column('event_id').doNothing())
      .execute();
  },
};
