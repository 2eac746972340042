import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { catchError, from, map, mergeMap, Observable, throwError } from 'rxjs';
import { now } from '../platform/clock';
import { SessionPrincipal } from '../platform/access/principal';
import { unavailable } from '../platform/errors/domain-error';
import { mapError } from '../platform/http/problem-details.filter';
import { EVENT_STORE, EventStore } from '../platform/event-store/event-store.port';
import { Logger } from '../platform/observability/logger';
import { LOGGER } from '../platform/observability/tokens';
import { ActionOutcome } from './audit.events';
import { recordStaffAction } from './audit-recorder';
import { safeQuery, safeTarget } from './safe-values';
import { StaffRoute, staffRouteOf } from './staff-routes';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Handler = Function;

/**
 * Every staff-only route (its @Roles allow only admin, finance, support) is recorded as a
 * StaffActionRecorded, reads included, by this one global interceptor: a route added later is
 * audited without anyone remembering to. The response waits for the append; when the append
 * fails the caller gets 503 (fail closed), never an unrecorded action. Handlers that write the
 * response themselves (@Res, the CSV exports) are recorded before they run (outcome
 * `response_started`), and again with the error if they fail before answering.
 * Other routes pay one WeakMap lookup.
 */
@Injectable()
export class StaffAuditInterceptor implements NestInterceptor {
  private readonly routes = new WeakMap<Handler, StaffRoute | null>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const route = this.routeOf(context.getClass(), context.getHandler());
    if (!route) return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    const record = (outcome: ActionOutcome) => this.record(req, route, outcome);
    const failed = (err: unknown) => from(record(errorOutcome(err))).pipe(mergeMap(() => throwError(() => err)));
    if (route.takesResponse) {
      return from(record({ status: route.successStatus, exitCode: null, code: 'response_started' })).pipe(mergeMap(() => next.handle().pipe(catchError(failed))));
    }
    return next.handle().pipe(
      catchError(failed),
      mergeMap((value) => from(record({ status: route.successStatus, exitCode: null, code: 'ok' })).pipe(map(() => value))),
    );
  }

  private routeOf(controller: Handler, handler: Handler): StaffRoute | null {
    let route = this.routes.get(handler);
    if (route === undefined) {
      route = staffRouteOf(controller, handler);
      this.routes.set(handler, route);
    }
    return route;
  }

  private async record(req: Request, route: StaffRoute, outcome: ActionOutcome): Promise<void> {
    const principal = req.user as SessionPrincipal | undefined;
    const requestId = req.res?.getHeader('x-request-id');
    try {
      await recordStaffAction(this.store, {
        actorId: principal?.accountId ?? 'anonymous',
        actorRoles: principal?.roles ?? [],
        action: route.action,
        channel: 'http',
        target: safeTarget(req.params),
        query: safeQuery(req.query as Record<string, unknown>),
        outcome,
        requestId: typeof requestId === 'string' ? requestId : null,
        at: now(),
      });
    } catch (err) {
      this.logger.error({ err: { name: (err as Error)?.name, message: (err as Error)?.message }, action: route.action }, 'audit record failed; refusing the request');
      throw unavailable('audit_unavailable', 'The action could not be recorded in the audit log; retry shortly.');
    }
  }
}

function errorOutcome(err: unknown): ActionOutcome {
  const mapped = mapError(err);
  return { status: mapped.status, exitCode: null, code: mapped.code };
}
