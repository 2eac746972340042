import { Controller, Get, Inject, Module } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Kysely } from 'kysely';
import { z } from 'zod';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { KYSELY } from '../../platform/database/database.module';
import { Database } from '../../platform/database/schema';
import { OkResponse } from '../../platform/http/schema/responses';
import { ValidQuery } from '../../platform/http/schema/valid';
import { FailedMailList, FailedMailQuery } from './admin-mail.schemas';

/** The dead letters: mails that failed every attempt. Metadata only (no address, no text): the mail log. */
@ApiTags('notifications')
@RoleRoutes(['admin'], 'Lacks the role.')
@Controller('admin/mail')
export class AdminMailController {
  constructor(@Inject(KYSELY) private readonly db: Kysely<Database>) {}

  @Get('failed')
  @ApiOperation({ summary: 'Mails that failed every attempt, newest first (at most 500): notification id, category, attempts, the last error with addresses removed.' })
  @OkResponse(FailedMailList)
  @ApiResponse({ status: 400, description: 'invalid_query: limit outside 1..500.' })
  async failed(@ValidQuery(FailedMailQuery) { limit }: z.infer<typeof FailedMailQuery>): Promise<z.infer<typeof FailedMailList>> {
    const rows = await this.db.selectFrom('mail_log').selectAll().where('outcome', '=', 'failed').orderBy('finished_at', 'desc').limit(limit).execute();
    return {
      items: rows.map((r) => ({ notificationId: r.notification_id, category: r.category, attempts: r.attempts, lastError: r.last_error, failedAt: r.finished_at.toISOString() })),
    };
  }
}

// The guards are platform/access's; auth/'s SessionsModule, loaded by every API process, registers their session strategy.
@Module({ controllers: [AdminMailController] })
export class MailHttpModule {}
