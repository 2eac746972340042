import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { NoContentResponse, OkResponse } from '../platform/http/schema/responses';
import { SessionResponse } from './auth.schemas';
import { SESSION_COOKIE } from '../platform/access/session-cookie';
import { bearerToken, clearSessionCookies, readCookie, REFRESH_COOKIE } from './session.cookies';
import { sendSession } from './session.response';
import { SessionsService } from './sessions.service';

@ApiTags('sign-in')
@Controller('auth')
export class SessionController {
  constructor(
    private readonly sessions: SessionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('refresh')
  @HttpCode(200)
  @ApiCookieAuth(REFRESH_COOKIE)
  @ApiOperation({ summary: 'Rotate the refresh token (tg_refresh cookie) and issue a new access token.' })
  @OkResponse(SessionResponse)
  @ApiResponse({ status: 401, description: 'No valid refresh token, or a reused one (which ends the session).' })
  async refresh(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SessionResponse> {
    try {
      return sendSession(res, await this.sessions.refresh(readCookie(req, REFRESH_COOKIE)), this.config);
    } catch (err) {
      clearSessionCookies(res); // a refused refresh leaves nothing half-valid in the browser
      throw err;
    }
  }

  @Post('logout')
  @HttpCode(204)
  @ApiCookieAuth(SESSION_COOKIE)
  @ApiOperation({ summary: 'End the session: its access token is refused from now on, and the cookies are cleared.' })
  @NoContentResponse()
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.sessions.end({ accessToken: bearerToken(req) ?? readCookie(req, SESSION_COOKIE), refreshToken: readCookie(req, REFRESH_COOKIE) });
    clearSessionCookies(res);
  }
}
