import { Body, Controller, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { SESSION_COOKIE } from '../../auth/session.cookies';
import { SessionGuard } from '../../auth/session.guard';
import { invalid } from '../../platform/errors/domain-error';
import { objectBody, requiredString } from '../../platform/http/request-body';
import { POLICY_VERSION } from '../../legal/policy.events';
import { ProviderInvitesService } from '../invites/provider-invites.service';

@ApiTags('provider')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@UseGuards(SessionGuard)
@Controller('me/provider-invite')
export class ProviderInviteAcceptController {
  constructor(private readonly invites: ProviderInvitesService) {}

  @Post('accept')
  @ApiOperation({
    summary:
      'Accept a provider invite { token, providerTermsVersion } with the invited account: accepts the provider terms in force (GET /legal/provider-terms) and grants the provider role.',
  })
  async accept(@CurrentPrincipal() principal: SessionPrincipal, @Body() raw: unknown, @Req() req: Request): Promise<{ inviteId: string; roles: string[] }> {
    const body = objectBody(raw, ['token', 'providerTermsVersion']);
    const token = requiredString(body, 'token', 1, 100);
    if (typeof body.providerTermsVersion !== 'string' || !POLICY_VERSION.test(body.providerTermsVersion)) {
      throw invalid(
        'provider_terms_required',
        'providerTermsVersion is missing: accepting an invite accepts the provider terms; send the version in force (GET /legal/provider-terms).',
      );
    }
    const { inviteId } = await this.invites.accept(principal.accountId, token, commandContext(principal.accountId, req), body.providerTermsVersion);
    return { inviteId, roles: [...new Set([...principal.roles, 'provider'])] };
  }
}
