import { Body, Controller, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AccountsService, now } from '../accounts/accounts.service';
import { PASSWORD_MAX_LENGTH } from '../accounts/password';
import { objectBody, optionalString, requiredString } from '../common/request-body';
import { APP_CONFIG, AppConfig } from '../config/config';
import { LoginBody, RegisterBody, SessionResponse } from './auth.dto';
import { clientInfo } from './client-info';
import { EMAIL_MAX_LENGTH } from './password.strategy';
import { SignedInAccount, SignInResult } from './principal';
import { sendSession } from './session.response';
import { PasswordSignInGuard } from './sign-in.guard';
import { SignInService } from './sign-in.service';

@ApiTags('sign-in')
@Controller('auth')
export class PasswordController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly signIn: SignInService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('register')
  @ApiOperation({ summary: 'Create a developer account with email and password, and sign in.' })
  @ApiBody({ type: RegisterBody })
  @ApiCreatedResponse({ type: SessionResponse, description: 'Signed in; tg_session and tg_refresh cookies set.' })
  @ApiResponse({ status: 400, description: 'Bad email, password length or body.' })
  @ApiResponse({ status: 409, description: 'An account with this email exists.' })
  async register(@Body() raw: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SessionResponse> {
    const body = objectBody(raw, ['email', 'password', 'displayName']);
    const email = requiredString(body, 'email', 3, EMAIL_MAX_LENGTH);
    const password = requiredString(body, 'password', 1, PASSWORD_MAX_LENGTH); // the service checks the policy
    const displayName = optionalString(body, 'displayName', 1, 100);
    const { accountId } = await this.accounts.register({ email, password, displayName, via: 'password' }, { actorId: 'self', occurredAt: now() });
    const session = await this.signIn.complete({ accountId, method: 'password', created: true }, clientInfo(req));
    return sendSession(res, session, this.config, true);
  }

  @Post('login')
  @HttpCode(200)
  @UseGuards(PasswordSignInGuard)
  @ApiOperation({ summary: 'Sign in with email and password.' })
  @ApiBody({ type: LoginBody })
  @ApiOkResponse({ type: SessionResponse, description: 'Signed in; tg_session and tg_refresh cookies set.' })
  @ApiResponse({ status: 401, description: 'Wrong email or password (the same answer for both).' })
  @ApiResponse({ status: 403, description: 'The account is suspended.' })
  @ApiResponse({ status: 429, description: 'Too many failures for this account or from this IP; see Retry-After.' })
  async login(@SignedInAccount() result: SignInResult, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SessionResponse> {
    return sendSession(res, await this.signIn.complete(result, clientInfo(req)), this.config);
  }
}
