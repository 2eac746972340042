import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { sendCsv } from '../../ledger/http/csv-export';
import { CsvResponse, OkResponse } from '../../platform/http/schema/responses';
import { ValidQuery } from '../../platform/http/schema/valid';
import { AuditLogEntry, AuditLogQueries } from '../audit-log.queries';
import { AuditLogCsvQuery, AuditLogPage, AuditLogQuery } from './audit-log.schemas';

const CSV_COLUMNS = ['at', 'actor_id', 'actor_roles', 'action', 'channel', 'target', 'query', 'outcome_status', 'outcome_exit_code', 'outcome_code', 'request_id', 'event_id'];

/** The audit log (P11): every staff action and operator command, newest first. Read-only: no route writes or edits it. */
@ApiTags('audit')
@ApiResponse({ status: 400, description: 'invalid_query (a filter, limit or time), invalid_limit or invalid_cursor.' })
@RoleRoutes(['admin'], 'Admins only.')
@Controller('admin')
export class AuditLogController {
  constructor(private readonly audit: AuditLogQueries) {}

  @Get('audit-log')
  @ApiOperation({ summary: 'Staff actions and CLI commands, newest first; filter by actor, target id, action and time; page with `before`.' })
  @OkResponse(AuditLogPage)
  list(@ValidQuery(AuditLogQuery) q: z.infer<typeof AuditLogQuery>): Promise<z.infer<typeof AuditLogPage>> {
    return this.audit.list(q);
  }

  @Get('audit-log.csv')
  @ApiOperation({ summary: 'The audit log as CSV (at most 100,000 rows; narrow with from/to).' })
  @CsvResponse(CSV_COLUMNS)
  async csv(@ValidQuery(AuditLogCsvQuery) filter: z.infer<typeof AuditLogCsvQuery>, @Res() res: Response): Promise<void> {
    await sendCsv(
      res,
      'audit-log.csv',
      CSV_COLUMNS,
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
