import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { checkAccountId } from '../../admin/admin-accounts.service';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { invalid } from '../../common/domain-error';
import { objectBody, optionalString } from '../../common/request-body';
import { DataRightsService, DELETION_NOTE_MAX } from '../data-rights.service';

class AdminDeletionBody {
  @ApiProperty({ enum: ['email'], description: 'How the person asked.' }) channel!: 'email';
  @ApiPropertyOptional({ maxLength: DELETION_NOTE_MAX, description: 'Stored sealed with the person’s key (shredded with them).' }) note?: string;
}

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
  @ApiBody({ type: AdminDeletionBody })
  @ApiAcceptedResponse({ description: '{ requestedAt, dueAt, revokedKeys, endedSessions }' })
  requestDeletion(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') accountId: string, @Body() raw: unknown, @Req() req: Request) {
    const body = objectBody(raw, ['channel', 'note']);
    if (body.channel !== 'email') throw invalid('invalid_body', 'channel must be "email".');
    const note = optionalString(body, 'note', 1, DELETION_NOTE_MAX) ?? null;
    return this.rights.requestDeletion(checkAccountId(accountId), { channel: 'email', note }, commandContext(principal.accountId, req));
  }
}
