import { Body, Controller, Get, HttpCode, Patch, Post, Req, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiCookieAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AccountView } from '../accounts/accounts.service';
import { PASSWORD_MAX_LENGTH } from '../accounts/password';
import { invalid } from '../platform/errors/domain-error';
import { objectBody, optionalString, requiredString } from '../platform/http/request-body';
import { clientInfo } from '../auth/client-info';
import { commandContext } from '../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../auth/principal';
import { EMAIL_MAX_LENGTH } from '../auth/password.strategy';
import { SESSION_COOKIE } from '../auth/session.cookies';
import { SessionGuard } from '../auth/session.guard';
import { AccountViewDto, ChangeEmailBody, ChangePasswordBody, UpdateProfileBody } from './me.dto';
import { SignUpStartedResponse } from '../auth/auth.dto';
import { MeService } from './me.service';
import { ProfileService } from '../accounts/profile/profile.service';

const DISPLAY_NAME_MAX = 100;
const PICTURE_URL_MAX = 2_000;

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
  @ApiOkResponse({ type: AccountViewDto })
  view(@CurrentPrincipal() principal: SessionPrincipal): Promise<AccountView> {
    return this.me.view(principal);
  }

  @Patch()
  @HttpCode(204)
  @ApiOperation({ summary: 'Correct the profile (policy P8): displayName, picture; null clears a field.' })
  @ApiBody({ type: UpdateProfileBody })
  @ApiNoContentResponse()
  async updateProfile(@CurrentPrincipal() principal: SessionPrincipal, @Body() raw: unknown, @Req() req: Request): Promise<void> {
    const body = objectBody(raw, ['displayName', 'picture']);
    const displayName = optionalString(body, 'displayName', 1, DISPLAY_NAME_MAX, true);
    const picture = optionalString(body, 'picture', 9, PICTURE_URL_MAX, true);
    // Dashboards render it as an image source: only https, never javascript: or data: URLs.
    if (picture && !/^https:\/\/[^\s]+$/.test(picture)) throw invalid('invalid_body', 'picture must be an https:// URL.');
    await this.profile.updateProfile(principal.accountId, { displayName, picture }, commandContext(principal.accountId, req));
  }

  @Post('password')
  @HttpCode(204)
  @ApiOperation({ summary: 'Set or change the password (the current one is required if there is one).' })
  @ApiBody({ type: ChangePasswordBody })
  @ApiNoContentResponse()
  @ApiResponse({ status: 429, description: 'Too many wrong current passwords; see Retry-After.' })
  async changePassword(@CurrentPrincipal() principal: SessionPrincipal, @Body() raw: unknown, @Req() req: Request): Promise<void> {
    const body = objectBody(raw, ['currentPassword', 'newPassword']);
    const currentPassword = optionalString(body, 'currentPassword', 1, PASSWORD_MAX_LENGTH) ?? undefined;
    const newPassword = requiredString(body, 'newPassword', 1, PASSWORD_MAX_LENGTH); // the service checks the policy
    await this.me.changePassword(principal, currentPassword, newPassword, clientInfo(req).ip, commandContext(principal.accountId, req));
  }

  @Post('email')
  @HttpCode(202)
  @ApiOperation({ summary: 'Change the sign-in email: a link is mailed to the new address; the change happens when it is followed (POST /auth/email/confirm).' })
  @ApiBody({ type: ChangeEmailBody })
  @ApiAcceptedResponse({ type: SignUpStartedResponse, description: 'The same answer whether or not the new address has an account (its owner is mailed a notice instead).' })
  @ApiResponse({ status: 400, description: 'Bad email (invalid_email), the current address (same_email), or currentPassword missing.' })
  @ApiResponse({ status: 403, description: 'Wrong current password, or (without a password) no recent sign-in.' })
  @ApiResponse({ status: 429, description: 'Too many wrong passwords, or too many mails to this address in the last hour.' })
  async changeEmail(@CurrentPrincipal() principal: SessionPrincipal, @Body() raw: unknown, @Req() req: Request): Promise<SignUpStartedResponse> {
    const body = objectBody(raw, ['email', 'currentPassword']);
    const email = requiredString(body, 'email', 3, EMAIL_MAX_LENGTH);
    const currentPassword = optionalString(body, 'currentPassword', 1, PASSWORD_MAX_LENGTH) ?? undefined;
    await this.me.changeEmail(principal, currentPassword, email, clientInfo(req).ip);
    return {
      status: 'check_your_email',
      message: 'If this address can be used, a link to confirm it is on its way. The account keeps its current address until the link is followed.',
    };
  }
}
