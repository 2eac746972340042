import { Controller, Delete, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { SESSION_COOKIE } from '../../platform/access/session-cookie';
import { SessionGuard } from '../../platform/access/session.guard';
import { unavailable } from '../../platform/errors/domain-error';
import { Logger } from '../../platform/observability/logger';
import { LOGGER } from '../../platform/observability/tokens';
import { AcceptedResponse, NoContentResponse, OkResponse } from '../../platform/http/schema/responses';
import { Inject } from '@nestjs/common';
import { DataRightsService } from '../data-rights.service';
import { DataExport } from '../export/data-export';
import { streamExport } from '../export/export-response';
import { DeletionRequested, DeletionStatus, ExportDocument } from './data-rights.schemas';

/** The signed-in person's data rights: deletion (P9), restriction (P10), export (P7). */
@ApiTags('privacy')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Not signed in, or the session ended.' })
@UseGuards(SessionGuard)
@Controller('me')
export class MeDataRightsController {
  constructor(
    private readonly rights: DataRightsService,
    private readonly exporter: DataExport,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Post('deletion-request')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Delete the account (P9): every API key is revoked and every session ended now; personal data is erased when the grace period ends (PRIVACY_DELETION_GRACE_DAYS). Cancellable until then.',
  })
  @AcceptedResponse(DeletionRequested)
  requestDeletion(@CurrentPrincipal() principal: SessionPrincipal, @Req() req: Request): Promise<z.infer<typeof DeletionRequested>> {
    return this.rights.requestDeletion(principal.accountId, { channel: 'self', note: null }, commandContext(principal.accountId, req));
  }

  @Delete('deletion-request')
  @ApiOperation({ summary: 'Cancel a pending deletion (within the grace period). Revoked API keys stay revoked: create new ones.' })
  @OkResponse(DeletionStatus, 'Cancelled: both null.')
  cancelDeletion(@CurrentPrincipal() principal: SessionPrincipal, @Req() req: Request): Promise<z.infer<typeof DeletionStatus>> {
    return this.rights.cancelDeletion(principal.accountId, commandContext(principal.accountId, req));
  }

  @Post('restriction')
  @HttpCode(204)
  @ApiOperation({ summary: 'Restrict processing (P10): API keys are refused at once (403 account_restricted); data is kept; signing in still works.' })
  @NoContentResponse()
  async restrict(@CurrentPrincipal() principal: SessionPrincipal, @Req() req: Request): Promise<void> {
    await this.rights.restrict(principal.accountId, commandContext(principal.accountId, req));
  }

  @Delete('restriction')
  @HttpCode(204)
  @ApiOperation({ summary: 'Lift the restriction: API keys work again.' })
  @NoContentResponse()
  async lift(@CurrentPrincipal() principal: SessionPrincipal, @Req() req: Request): Promise<void> {
    await this.rights.lift(principal.accountId, commandContext(principal.accountId, req));
  }

  @Get('export')
  @ApiOperation({ summary: 'Everything held about you as one JSON document (P7), streamed; it ends with "complete": true.' })
  @OkResponse(ExportDocument, 'A JSON attachment (tollgate-export-<day>.json).')
  @ApiResponse({ status: 503, description: 'Too many exports running; retry shortly.' })
  async export(@CurrentPrincipal() principal: SessionPrincipal, @Res() res: Response): Promise<void> {
    if (!exportSlots.acquire()) throw unavailable('export_busy', 'Too many exports are running; retry in a few seconds.', 5);
    try {
      await streamExport(res, principal.accountId, this.exporter, this.logger);
    } finally {
      exportSlots.release();
    }
  }
}

/** Exports read a whole history: a few at a time per process, so they cannot crowd out the API. */
export const EXPORTS_IN_FLIGHT_MAX = 4;
const exportSlots = {
  running: 0,
  acquire(): boolean {
    if (this.running >= EXPORTS_IN_FLIGHT_MAX) return false;
    this.running++;
    return true;
  },
  release(): void {
    this.running--;
  },
};
