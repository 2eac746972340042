import { Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { checkAccountId } from '../../accounts/account-id';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { Roles } from '../../platform/access/roles.decorator';
import { OkResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { KycView, RejectKyc } from './kyc.schemas';
import { KycService } from './kyc.service';

/** Staff decisions on a KYC; the admin is each event's actor (P11). Support may read. */
@ApiTags('privacy')
@ApiResponse({ status: 404, description: 'No such account, or no KYC submitted.' })
@RoleRoutes(['admin'], 'The caller lacks the role.')
@Controller('admin/accounts/:id/kyc')
export class AdminKycController {
  constructor(private readonly kyc: KycService) {}

  @Get()
  @Roles('admin', 'support')
  @ApiOperation({ summary: 'Status, masked numbers, who decided (admin, support).' })
  @OkResponse(KycView)
  view(@Param('id') accountId: string): Promise<KycView> {
    return this.kyc.view(checkAccountId(accountId), true);
  }

  @Post('verify')
  @HttpCode(204)
  @ApiOperation({ summary: 'Mark the submitted KYC verified.' })
  @ApiNoContentResponse()
  @ApiResponse({ status: 409, description: 'kyc_not_pending (it was rejected; the person submits again)' })
  async verify(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') accountId: string, @Req() req: Request): Promise<void> {
    await this.kyc.verify(checkAccountId(accountId), commandContext(principal.accountId, req));
  }

  @Post('reject')
  @HttpCode(204)
  @ApiOperation({ summary: 'Reject the submitted KYC { reason }; the person may submit again.' })
  @ApiNoContentResponse()
  @ApiResponse({ status: 400, description: 'A missing or too long reason (invalid_body).' })
  @ApiResponse({ status: 409, description: 'kyc_not_pending' })
  async reject(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') accountId: string,
    @ValidBody(RejectKyc) body: z.infer<typeof RejectKyc>,
    @Req() req: Request,
  ): Promise<void> {
    await this.kyc.reject(checkAccountId(accountId), body.reason, commandContext(principal.accountId, req));
  }
}
