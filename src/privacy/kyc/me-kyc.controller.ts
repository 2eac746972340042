import { Body, Controller, Get, Put, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { SESSION_COOKIE } from '../../auth/session.cookies';
import { SessionGuard } from '../../auth/session.guard';
import { objectBody, requiredString } from '../../common/request-body';
import { KycService, KycView } from './kyc.service';

/** The signed-in person's identity verification (P17): submit PAN and Aadhaar; see status and masked numbers. */
@ApiTags('kyc')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Not signed in, or the session ended.' })
@UseGuards(SessionGuard)
@Controller('me/kyc')
export class MeKycController {
  constructor(private readonly kyc: KycService) {}

  @Put()
  @ApiOperation({ summary: 'Submit { pan, aadhaar } for verification; stored only sealed, answered masked.' })
  @ApiResponse({ status: 200, description: 'Submitted: status and masked numbers.' })
  @ApiResponse({ status: 400, description: 'invalid_pan or invalid_aadhaar (format, Verhoeff check digit).' })
  @ApiResponse({ status: 409, description: 'kyc_already_verified' })
  submit(@CurrentPrincipal() principal: SessionPrincipal, @Body() raw: unknown, @Req() req: Request): Promise<KycView> {
    const body = objectBody(raw, ['pan', 'aadhaar']);
    const pan = requiredString(body, 'pan', 1, 20);
    const aadhaar = requiredString(body, 'aadhaar', 1, 20);
    return this.kyc.submit(principal.accountId, { pan, aadhaar }, commandContext(principal.accountId, req));
  }

  @Get()
  @ApiOperation({ summary: 'Status (submitted, verified, rejected) and masked numbers.' })
  @ApiResponse({ status: 404, description: 'kyc_not_submitted' })
  view(@CurrentPrincipal() principal: SessionPrincipal): Promise<KycView> {
    return this.kyc.view(principal.accountId, false);
  }
}
