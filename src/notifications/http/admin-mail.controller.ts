import { Controller, Get, Inject, Module, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Kysely } from 'kysely';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { SessionsModule } from '../../auth/sessions.module';
import { invalid } from '../../platform/errors/domain-error';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';

const MAX_ROWS = 500;

/** The dead letters: mails that failed every attempt. Metadata only (no address, no text): the mail log. */
@ApiTags('admin')
@RoleRoutes(['admin'], 'Lacks the role.')
@Controller('admin/mail')
export class AdminMailController {
  constructor(@Inject(KYSELY) private readonly db: Kysely<Database>) {}

  @Get('failed')
  @ApiOperation({ summary: 'Mails that failed every attempt, newest first (at most 500): notification id, category, attempts, the last error with addresses removed.' })
  @ApiQuery({ name: 'limit', required: false, description: `1..${MAX_ROWS}, default 100` })
  @ApiOkResponse({ description: '{ items: [{ notificationId, category, attempts, lastError, failedAt }] }' })
  async failed(@Query('limit') rawLimit: unknown) {
    const limit = rawLimit === undefined ? 100 : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ROWS) throw invalid('invalid_query', `limit must be an integer in 1..${MAX_ROWS}.`);
    const rows = await this.db.selectFrom('mail_log').selectAll().where('outcome', '=', 'failed').orderBy('finished_at', 'desc').limit(limit).execute();
    return {
      items: rows.map((r) => ({ notificationId: r.notification_id, category: r.category, attempts: r.attempts, lastError: r.last_error, failedAt: r.finished_at.toISOString() })),
    };
  }
}

@Module({ imports: [SessionsModule], controllers: [AdminMailController] })
export class MailHttpModule {}
