import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { checkAccountId } from '../../accounts/account-id';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { AcceptedResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { DataRightsService } from '../data-rights.service';
import { AdminDeletionBody, DeletionRequested } from './data-rights.schemas';

/**
 * A deletion asked for outside the dashboard (an email to support): an admin records it for the
 * person. Same effects as the person's own request; the admin is the actor of every event (P11).
 */
@ApiTags('privacy')
@RoleRoutes(['admin'], 'The caller is not an admin.')
@Controller('admin/accounts/:id')
export class AdminDeletionController {
  constructor(private readonly rights: DataRightsService) {}

  @Post('deletion-request')
  @HttpCode(202)
  @ApiOperation({ summary: 'Record a deletion request received by email (P9): keys revoked, sessions ended, erased after the grace period.' })
  @AcceptedResponse(DeletionRequested)
  @ApiResponse({ status: 400, description: 'A bad body (invalid_body).' })
  @ApiNotFoundResponse({ description: 'No such account.' })
  requestDeletion(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') accountId: string,
    @ValidBody(AdminDeletionBody) body: z.infer<typeof AdminDeletionBody>,
    @Req() req: Request,
  ): Promise<z.infer<typeof DeletionRequested>> {
    return this.rights.requestDeletion(checkAccountId(accountId), { channel: body.channel, note: body.note ?? null }, commandContext(principal.accountId, req));
  }
}
