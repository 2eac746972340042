import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { checkAccountId } from '../../admin/admin-accounts.service';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { ValidBody } from '../../platform/http/schema/valid';
import { DataRightsService, DELETION_NOTE_MAX } from '../data-rights.service';

const AdminDeletion = z.strictObject({
  channel: z.literal('email').describe('How the person asked.'),
  note: z.string().min(1).max(DELETION_NOTE_MAX).optional().describe('Stored sealed with the person’s key (shredded with them).'),
});

/**
 * A deletion asked for outside the dashboard (an email to support): an admin records it for the
 * person. Same effects as the person's own request; the admin is the actor of every event (P11).
 */
@ApiTags('admin')
@RoleRoutes(['admin'], 'The caller is not an admin.')
@Controller('admin/accounts/:id')
export class AdminDeletionController {
  constructor(private readonly rights: DataRightsService) {}

  @Post('deletion-request')
  @HttpCode(202)
  @ApiOperation({ summary: 'Record a deletion request received by email (P9): keys revoked, sessions ended, erased after the grace period.' })
  @ApiAcceptedResponse({ description: '{ requestedAt, dueAt, revokedKeys, endedSessions }' })
  requestDeletion(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') accountId: string,
    @ValidBody(AdminDeletion) body: z.infer<typeof AdminDeletion>,
    @Req() req: Request,
  ) {
    return this.rights.requestDeletion(checkAccountId(accountId), { channel: body.channel, note: body.note ?? null }, commandContext(principal.accountId, req));
  }
}
