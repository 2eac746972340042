import { Controller, Get, Inject, Req, Res, UseGuards } from '@nestjs/common';
import { ApiFoundResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { OkResponse } from '../platform/http/schema/responses';
import { SessionResponse } from './auth.schemas';
import { clientInfo } from './client-info';
import { SignedInAccount, SignInResult } from './principal';
import { sendSession } from './session.response';
import { GoogleSignInGuard } from './sign-in.guard';
import { SignInService } from './sign-in.service';

/** Registered only when GOOGLE_CLIENT_ID is configured; otherwise these routes are 404. */
@ApiTags('sign-in')
@Controller('auth/google')
export class GoogleController {
  constructor(
    private readonly signIn: SignInService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @UseGuards(GoogleSignInGuard)
  @ApiOperation({ summary: "Start Google sign-in: redirects to Google's consent page (with state and PKCE)." })
  @ApiFoundResponse({ description: 'Redirect to Google.' })
  start(): void {
    // The guard answers with the redirect; this body never runs.
  }

  @Get('callback')
  @UseGuards(GoogleSignInGuard)
  @ApiOperation({ summary: 'Google redirects here. Signs in (registering on first sign-in), sets the cookies, then redirects to APP_URL (or answers JSON).' })
  @ApiFoundResponse({ description: 'Signed in; redirect to APP_URL.' })
  @OkResponse(SessionResponse, 'Signed in (when APP_URL is not configured).')
  @ApiResponse({ status: 401, description: 'Bad or reused state, or the code exchange failed.' })
  @ApiResponse({ status: 403, description: 'The account is suspended.' })
  async callback(@SignedInAccount() result: SignInResult, @Req() req: Request, @Res() res: Response): Promise<void> {
    const body = sendSession(res, await this.signIn.complete(result, clientInfo(req)), this.config, result.created);
    if (this.config.appUrl) res.redirect(302, this.config.appUrl);
    else res.status(200).json(body);
  }
}
