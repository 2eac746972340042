import { Controller, Get, HttpCode, Inject, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiNotFoundResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { EVENT_STORE, EventStore } from '../platform/event-store/event-store.port';
import { Logger } from '../platform/observability/logger';
import { LOGGER } from '../platform/observability/tokens';
import { z } from 'zod';
import { OkResponse } from '../platform/http/schema/responses';
import { SessionView as SessionViewSchema } from './auth.schemas';
import { commandContext } from '../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../platform/access/principal';
import { SESSION_COOKIE } from '../platform/access/session-cookie';
import { clearSessionCookies } from './session.cookies';
import { SessionGuard } from '../platform/access/session.guard';
import { SessionRevoked, signInStream } from './sign-in.events';
import { SessionsService, SessionView } from './sessions.service';

/**
 * The signed-in person's own sessions: where they are signed in, and ending one of them (a lost
 * phone, a shared computer). Another account's session id is answered exactly like a made-up one
 * (404), so nothing can be learnt about other accounts.
 */
@ApiTags('sign-in')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Not signed in, or the session ended.' })
@UseGuards(SessionGuard)
@Controller('me/sessions')
export class MySessionsController {
  constructor(
    private readonly sessions: SessionsService,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Live sessions: device (browser and system family), sign-in method, signed in at, last used (sign-in or latest token refresh); the current one first and marked.',
  })
  @OkResponse(z.array(SessionViewSchema))
  async list(@CurrentPrincipal() principal: SessionPrincipal, @Res({ passthrough: true }) res: Response): Promise<SessionView[]> {
    res.setHeader('Cache-Control', 'no-store');
    return this.sessions.list(principal);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'End one of your sessions at once (its tokens are refused from the next request). Ending the current one also clears its cookies.' })
  @ApiParam({ name: 'id', description: 'The id from GET /me/sessions' })
  @OkResponse(SessionViewSchema, 'The session as it was.')
  @ApiNotFoundResponse({ description: 'session_not_found: not one of your live sessions (ended, expired, another account’s, or made up).' })
  async revoke(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') id: string, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SessionView> {
    const ended = await this.sessions.revoke(principal, id);
    const context = commandContext(principal.accountId, req);
    const event: SessionRevoked = { type: 'SessionRevoked', data: { sessionId: ended.id, method: ended.method, current: ended.current, revokedAt: context.occurredAt } };
    // 'any': the sign-in log is append-only with no invariant to protect (as SignedIn).
    await this.store.append(
      signInStream(principal.accountId),
      [
        {
          id: randomUUID(),
          type: event.type,
          data: event.data,
          metadata: { actorId: context.actorId, occurredAt: context.occurredAt, ...(context.correlationId ? { correlationId: context.correlationId } : {}) },
        },
      ],
      'any',
    );
    this.logger.info({ accountId: principal.accountId, current: ended.current }, 'session revoked from the sessions list');
    if (ended.current) clearSessionCookies(res);
    return ended;
  }
}
