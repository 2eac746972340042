import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { sendCsv } from '../../ledger/http/csv-export';
import { queryInt, queryRange, queryString } from '../../ledger/http/query-params';
import { AuditLogEntry, AuditLogFilter, AuditLogQueries } from '../audit-log.queries';
import { Page } from '../../ledger/ledger.queries';

function filterOf(q: Record<string, unknown>): AuditLogFilter {
  return { ...queryRange(q), actor: queryString(q.actor, 'actor', 100), target: queryString(q.target, 'target', 200), action: queryString(q.action, 'action', 300) };
}

/** The audit log (P11): every staff action and operator command, newest first. Read-only: no route writes or edits it. */
@ApiTags('admin')
@RoleRoutes(['admin'], 'Admins only.')
@Controller('admin')
export class AuditLogController {
  constructor(private readonly audit: AuditLogQueries) {}

  @Get('audit-log')
  @ApiOperation({ summary: 'Staff actions and CLI commands, newest first; filter by actor, target id, action and time; page with `before`.' })
  @ApiQuery({ name: 'actor', required: false, description: 'an account id, or operator:cli' })
  @ApiQuery({ name: 'target', required: false, description: 'any id the action targeted (account, key, node…)' })
  @ApiQuery({ name: 'action', required: false, description: 'e.g. POST /admin/accounts/:id/suspend' })
  @ApiQuery({ name: 'from', required: false })
  @ApiQuery({ name: 'to', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1..500, default 100' })
  @ApiQuery({ name: 'before', required: false, description: 'nextCursor of the previous page, or an ISO time' })
  list(@Query() q: Record<string, unknown>): Promise<Page<AuditLogEntry>> {
    return this.audit.list({ ...filterOf(q), limit: queryInt(q.limit, 'limit'), before: queryString(q.before, 'before', 100) });
  }

  @Get('audit-log.csv')
  @ApiOperation({ summary: 'The audit log as CSV (at most 100,000 rows; narrow with from/to).' })
  async csv(@Query() q: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const filter = filterOf(q);
    await sendCsv(
      res,
      'audit-log.csv',
      ['at', 'actor_id', 'actor_roles', 'action', 'channel', 'target', 'query', 'outcome_status', 'outcome_exit_code', 'outcome_code', 'request_id', 'event_id'],
      (e: AuditLogEntry) => [
        e.at,
        e.actorId,
        e.actorRoles.join(' '),
        e.action,
        e.channel,
        JSON.stringify(e.target),
        JSON.stringify(e.query),
        e.outcome.status,
        e.outcome.exitCode,
        e.outcome.code,
        e.requestId,
        e.eventId,
      ],
      (cursor, limit) => this.audit.list({ ...filter, before: cursor, limit }),
    );
  }
}
