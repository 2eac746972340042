import { Controller, Get, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiNotFoundResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { commandContext } from '../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../platform/access/principal';
import { SESSION_COOKIE } from '../platform/access/session-cookie';
import { SessionGuard } from '../platform/access/session.guard';
import { CreatedResponse, NoContentResponse, OkResponse } from '../platform/http/schema/responses';
import { ValidBody } from '../platform/http/schema/valid';
import { ApiKeyView, IssuedKey, IssueKeyBody } from './me-keys.schemas';

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
  @OkResponse(z.array(ApiKeyView))
  list(@CurrentPrincipal() principal: SessionPrincipal): Promise<z.infer<typeof ApiKeyView>[]> {
    return this.keys.list(principal.accountId);
  }

  @Post()
  @ApiOperation({ summary: 'Issue a key. The full key is in this response only, once.' })
  @CreatedResponse(IssuedKey)
  @ApiResponse({ status: 400, description: 'Bad name, expiry or limits, or too many active keys.' })
  async issue(
    @CurrentPrincipal() principal: SessionPrincipal,
    @ValidBody(IssueKeyBody) body: z.infer<typeof IssueKeyBody>,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<z.infer<typeof IssuedKey>> {
    const input = { name: body.name, expiresAt: body.expiresAt ?? null, limits: body.limits ?? undefined };
    const issued = await this.keys.issue(principal.accountId, input, commandContext(principal.accountId, req));
    res.setHeader('Cache-Control', 'no-store');
    return issued;
  }

  @Post(':id/revoke')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a key: refused everywhere within a second.' })
  @ApiParam({ name: 'id', description: 'The key id (the 12 characters after tg_live_)' })
  @NoContentResponse()
  @ApiNotFoundResponse({ description: 'No such key on this account.' })
  async revoke(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') keyId: string, @Req() req: Request): Promise<void> {
    await this.keys.revoke(principal.accountId, keyId, commandContext(principal.accountId, req));
  }

  @Post(':id/rotate')
  @ApiOperation({ summary: 'Issue a replacement (same name and limits) and revoke this key. The new key is shown once.' })
  @ApiParam({ name: 'id' })
  @CreatedResponse(IssuedKey)
  @ApiNotFoundResponse({ description: 'No such active key on this account.' })
  async rotate(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') keyId: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<z.infer<typeof IssuedKey>> {
    const rotated = await this.keys.rotate(principal.accountId, keyId, commandContext(principal.accountId, req));
    res.setHeader('Cache-Control', 'no-store');
    return rotated;
  }
}
