import type { Request } from 'express';
import { now } from '../clock';
import { CommandContext } from '../event-sourcing/decider';

/**
 * The audit trail of an HTTP action: who did it (the signed-in account, e.g. the admin acting
 * on someone else) and the request id, so an event can be traced back to its request log line.
 */
export function commandContext(actorId: string, req: Request): CommandContext {
  const requestId = req.res?.getHeader('x-request-id');
  return { actorId, occurredAt: now(), ...(typeof requestId === 'string' ? { correlationId: requestId } : {}) };
}
