import { DomainEvent } from '../platform/event-sourcing/decider';

/** What came of an action: the HTTP status (or the CLI exit code) and a stable code ('ok' or the error's code). */
export type ActionOutcome = { status: number | null; exitCode: number | null; code: string };

/**
 * Stream `audit-{yyyy-mm-dd}` (UTC day of `at`), appended with expected revision 'any': one event
 * per staff action (HTTP, reads included) and per operator CLI command (P11). Personal data never
 * enters it: route params and query values are kept only when they look like ids, times or amounts.
 */
export type AuditEvent = DomainEvent<
  'StaffActionRecorded',
  {
    actorId: string;
    actorRoles: string[];
    /** `GET /admin/accounts/:id` (method + route pattern) or `CLI account:replay`. */
    action: string;
    channel: 'http' | 'cli';
    /** Route params (or, for the CLI, ids the flags resolved to). */
    target: Record<string, string>;
    /** Query keys (or CLI flag names); values only for keys known to carry no personal data. */
    query: Record<string, string | null>;
    outcome: ActionOutcome;
    requestId: string | null;
    at: string;
  }
>;

export type StaffActionRecorded = AuditEvent['data'];

export const AUDIT_STREAM_PREFIX = 'audit-';
export const auditStream = (at: string) => `${AUDIT_STREAM_PREFIX}${at.slice(0, 10)}`;
