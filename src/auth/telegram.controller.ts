import { Controller, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { openApiSchema } from '../platform/http/schema/json-schema';
import { OkResponse } from '../platform/http/schema/responses';
import { SessionResponse, TelegramLogin } from './auth.schemas';
import { clientInfo } from './client-info';
import { SignedInAccount, SignInResult } from './principal';
import { sendSession } from './session.response';
import { TelegramSignInGuard } from './sign-in.guard';
import { SignInService } from './sign-in.service';

/** Registered only when TELEGRAM_BOT_TOKEN is configured; otherwise this route is 404. */
@ApiTags('sign-in')
@Controller('auth/telegram')
export class TelegramController {
  constructor(
    private readonly signIn: SignInService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(200)
  @UseGuards(TelegramSignInGuard)
  @ApiOperation({ summary: 'Sign in with the Telegram login widget: post the fields it returns, unchanged. Registers on first sign-in.' })
  // The guard reads and verifies the body (its hash covers every field); this only documents it.
  @ApiBody({ schema: openApiSchema(TelegramLogin, 'input') })
  @OkResponse(SessionResponse)
  @ApiResponse({ status: 400, description: 'Malformed payload.' })
  @ApiResponse({ status: 401, description: 'Bad hash, or auth_date too old or in the future.' })
  @ApiResponse({ status: 403, description: 'The account is suspended.' })
  async signInWithTelegram(@SignedInAccount() result: SignInResult, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SessionResponse> {
    return sendSession(res, await this.signIn.complete(result, clientInfo(req)), this.config, result.created);
  }
}
