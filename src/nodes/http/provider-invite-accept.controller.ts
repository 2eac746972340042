import { Controller, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { SESSION_COOKIE } from '../../platform/access/session-cookie';
import { SessionGuard } from '../../platform/access/session.guard';
import { CreatedResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { ProviderInvitesService } from '../invites/provider-invites.service';
import { AcceptedInvite, AcceptInviteBody } from './nodes.schemas';

@ApiTags('nodes')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Not signed in, or the session ended.' })
@UseGuards(SessionGuard)
@Controller('me/provider-invite')
export class ProviderInviteAcceptController {
  constructor(private readonly invites: ProviderInvitesService) {}

  @Post('accept')
  @ApiOperation({
    summary:
      'Accept a provider invite { token, providerTermsVersion } with the invited account: accepts the provider terms in force (GET /legal/provider-terms) and grants the provider role.',
  })
  @CreatedResponse(AcceptedInvite, 'Accepted (again: harmless); the account is a provider.')
  @ApiResponse({ status: 400, description: 'invalid_body, provider_terms_required (missing, or not the version in force)' })
  @ApiResponse({ status: 403, description: 'invite_email_mismatch (the invite is for another email), invite_expired' })
  @ApiResponse({ status: 404, description: 'invite_not_found (or withdrawn)' })
  @ApiResponse({ status: 409, description: 'invite_used: another account accepted it' })
  async accept(
    @CurrentPrincipal() principal: SessionPrincipal,
    @ValidBody(AcceptInviteBody) body: z.infer<typeof AcceptInviteBody>,
    @Req() req: Request,
  ): Promise<z.infer<typeof AcceptedInvite>> {
    const { inviteId } = await this.invites.accept(principal.accountId, body.token, commandContext(principal.accountId, req), body.providerTermsVersion);
    return { inviteId, roles: [...new Set([...principal.roles, 'provider'])] };
  }
}
