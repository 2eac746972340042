import { Controller, Get, HttpCode, Patch, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { AcceptedResponse, NoContentResponse, OkResponse } from '../platform/http/schema/responses';
import { ValidBody } from '../platform/http/schema/valid';
import { clientInfo } from '../auth/client-info';
import { commandContext } from '../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../platform/access/principal';
import { SESSION_COOKIE } from '../platform/access/session-cookie';
import { SessionGuard } from '../platform/access/session.guard';
import { CheckYourEmail } from '../auth/auth.schemas';
import { AccountView } from '../accounts/accounts.schemas';
import { ChangeEmailBody, ChangePasswordBody, UpdateProfileBody } from './me.schemas';
import { MeService } from './me.service';
import { ProfileService } from '../accounts/profile/profile.service';

@ApiTags('account')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Not signed in, or the session ended.' })
@ApiResponse({ status: 403, description: 'The account is suspended.' })
@UseGuards(SessionGuard)
@Controller('me')
export class MeController {
  constructor(
    private readonly profile: ProfileService,
    private readonly me: MeService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The signed-in account: profile, roles, status.' })
  @OkResponse(AccountView)
  view(@CurrentPrincipal() principal: SessionPrincipal): Promise<z.infer<typeof AccountView>> {
    return this.me.view(principal);
  }

  @Patch()
  @HttpCode(204)
  @ApiOperation({ summary: 'Correct the profile (policy P8): displayName, picture; null clears a field.' })
  @NoContentResponse()
  @ApiResponse({ status: 400, description: 'A bad body (invalid_body): an unknown field, a too long name, a picture that is not an https:// URL.' })
  async updateProfile(@CurrentPrincipal() principal: SessionPrincipal, @ValidBody(UpdateProfileBody) body: z.infer<typeof UpdateProfileBody>, @Req() req: Request): Promise<void> {
    await this.profile.updateProfile(principal.accountId, { displayName: body.displayName, picture: body.picture }, commandContext(principal.accountId, req));
  }

  @Post('password')
  @HttpCode(204)
  @ApiOperation({ summary: 'Set or change the password (the current one is required if there is one).' })
  @NoContentResponse()
  @ApiResponse({ status: 400, description: 'A bad body, a password the policy refuses, or currentPassword missing.' })
  @ApiResponse({ status: 403, description: 'Wrong current password, or the account is suspended.' })
  @ApiResponse({ status: 429, description: 'Too many wrong current passwords; see Retry-After.' })
  async changePassword(
    @CurrentPrincipal() principal: SessionPrincipal,
    @ValidBody(ChangePasswordBody) body: z.infer<typeof ChangePasswordBody>,
    @Req() req: Request,
  ): Promise<void> {
    await this.me.changePassword(principal, body.currentPassword, body.newPassword, clientInfo(req).ip, commandContext(principal.accountId, req));
  }

  @Post('email')
  @HttpCode(202)
  @ApiOperation({ summary: 'Change the sign-in email: a link is mailed to the new address; the change happens when it is followed (POST /auth/email/confirm).' })
  @AcceptedResponse(CheckYourEmail, 'The same answer whether or not the new address has an account (its owner is mailed a notice instead).')
  @ApiResponse({ status: 400, description: 'Bad email (invalid_email), the current address (same_email), or currentPassword missing.' })
  @ApiResponse({ status: 403, description: 'Wrong current password, or (without a password) no recent sign-in.' })
  @ApiResponse({ status: 429, description: 'Too many wrong passwords, or too many mails to this address in the last hour.' })
  async changeEmail(
    @CurrentPrincipal() principal: SessionPrincipal,
    @ValidBody(ChangeEmailBody) body: z.infer<typeof ChangeEmailBody>,
    @Req() req: Request,
  ): Promise<z.infer<typeof CheckYourEmail>> {
    await this.me.changeEmail(principal, body.currentPassword, body.email, clientInfo(req).ip);
    return {
      status: 'check_your_email',
      message: 'If this address can be used, a link to confirm it is on its way. The account keeps its current address until the link is followed.',
    };
  }
}
