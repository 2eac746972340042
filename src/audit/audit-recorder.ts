import { randomUUID } from 'node:crypto';
import { EventStore } from '../platform/event-store/event-store.port';
import { auditStream, AuditEvent, StaffActionRecorded } from './audit.events';

/**
 * Appends one StaffActionRecorded to the day's audit stream. Callers wait for it: an action whose
 * record cannot be written is answered with an error (fail closed), never left out of the log.
 */
export async function recordStaffAction(store: EventStore, action: StaffActionRecorded): Promise<void> {
  const event: AuditEvent = { type: 'StaffActionRecorded', data: action };
  await store.append(
    auditStream(action.at),
    [
      {
        id: randomUUID(),
        type: event.type,
        data: event.data,
        metadata: { actorId: action.actorId, occurredAt: action.at, ...(action.requestId ? { correlationId: action.requestId } : {}) },
      },
    ],
    'any',
  );
}
