import { Body, Controller, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { SESSION_COOKIE } from '../../auth/session.cookies';
import { SessionGuard } from '../../auth/session.guard';
import { objectBody, requiredString } from '../../common/request-body';
import { ProviderInvitesService } from '../invites/provider-invites.service';

@ApiTags('provider')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@UseGuards(SessionGuard)
@Controller('me/provider-invite')
export class ProviderInviteAcceptController {
  constructor(private readonly invites: ProviderInvitesService) {}

  @Post('accept')
  @ApiOperation({ summary: 'Accept a provider invite { token } with the invited account: grants the provider role.' })
  async accept(@CurrentPrincipal() principal: SessionPrincipal, @Body() raw: unknown, @Req() req: Request): Promise<{ inviteId: string; roles: string[] }> {
    const token = requiredString(objectBody(raw, ['token']), 'token', 1, 100);
    const { inviteId } = await this.invites.accept(principal.accountId, token, commandContext(principal.accountId, req));
    return { inviteId, roles: [...new Set([...principal.roles, 'provider'])] };
  }
}
