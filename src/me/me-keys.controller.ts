import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiKeysService, ApiKeyView } from '../api-keys/api-keys.service';
import { commandContext } from '../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../auth/principal';
import { SESSION_COOKIE } from '../auth/session.cookies';
import { SessionGuard } from '../auth/session.guard';
import { readIssueKeyBody } from './key-request';
import { ApiKeyViewDto, IssuedKeyDto, IssueKeyBody } from './me.dto';

/**
 * The signed-in developer's own API keys. Another account's key id is answered exactly like a
 * missing one (404, same body), by the service, so key ids cannot be probed across tenants.
 */
@ApiTags('api keys')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Not signed in, or the session ended.' })
@UseGuards(SessionGuard)
@Controller('me/keys')
export class MeKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @ApiOperation({ summary: "The account's keys (metadata only: never the key or its hash)." })
  @ApiOkResponse({ type: ApiKeyViewDto, isArray: true })
  list(@CurrentPrincipal() principal: SessionPrincipal): Promise<ApiKeyView[]> {
    return this.keys.list(principal.accountId);
  }

  @Post()
  @ApiOperation({ summary: 'Issue a key. The full key is in this response only, once.' })
  @ApiBody({ type: IssueKeyBody })
  @ApiCreatedResponse({ type: IssuedKeyDto })
  @ApiResponse({ status: 400, description: 'Bad name, expiry or limits, or too many active keys.' })
  async issue(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Body() raw: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ key: string; apiKey: ApiKeyView }> {
    const issued = await this.keys.issue(principal.accountId, readIssueKeyBody(raw), commandContext(principal.accountId, req));
    res.setHeader('Cache-Control', 'no-store');
    return issued;
  }

  @Post(':id/revoke')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a key: refused everywhere within a second.' })
  @ApiParam({ name: 'id', description: 'The key id (the 12 characters after tg_live_)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such key on this account.' })
  async revoke(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') keyId: string, @Req() req: Request): Promise<void> {
    await this.keys.revoke(principal.accountId, keyId, commandContext(principal.accountId, req));
  }

  @Post(':id/rotate')
  @ApiOperation({ summary: 'Issue a replacement (same name and limits) and revoke this key. The new key is shown once.' })
  @ApiParam({ name: 'id' })
  @ApiCreatedResponse({ type: IssuedKeyDto })
  @ApiNotFoundResponse({ description: 'No such active key on this account.' })
  async rotate(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') keyId: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ key: string; apiKey: ApiKeyView }> {
    const rotated = await this.keys.rotate(principal.accountId, keyId, commandContext(principal.accountId, req));
    res.setHeader('Cache-Control', 'no-store');
    return rotated;
  }
}
