import { Controller, Get, Put, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { SESSION_COOKIE } from '../../platform/access/session-cookie';
import { SessionGuard } from '../../platform/access/session.guard';
import { OkResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { KycView, SubmitKyc } from './kyc.schemas';
import { KycService } from './kyc.service';

/** The signed-in person's identity verification (P17): submit PAN and Aadhaar; see status and masked numbers. */
@ApiTags('privacy')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Not signed in, or the session ended.' })
@UseGuards(SessionGuard)
@Controller('me/kyc')
export class MeKycController {
  constructor(private readonly kyc: KycService) {}

  @Put()
  @ApiOperation({ summary: 'Submit { pan, aadhaar } for verification; stored only sealed, answered masked.' })
  @OkResponse(KycView, 'Submitted: status and masked numbers.')
  @ApiResponse({ status: 400, description: 'invalid_pan or invalid_aadhaar (format, Verhoeff check digit).' })
  @ApiResponse({ status: 409, description: 'kyc_already_verified' })
  submit(@CurrentPrincipal() principal: SessionPrincipal, @ValidBody(SubmitKyc) body: z.infer<typeof SubmitKyc>, @Req() req: Request): Promise<KycView> {
    return this.kyc.submit(principal.accountId, body, commandContext(principal.accountId, req));
  }

  @Get()
  @ApiOperation({ summary: 'Status (submitted, verified, rejected) and masked numbers.' })
  @OkResponse(KycView)
  @ApiResponse({ status: 404, description: 'kyc_not_submitted' })
  view(@CurrentPrincipal() principal: SessionPrincipal): Promise<KycView> {
    return this.kyc.view(principal.accountId, false);
  }
}
