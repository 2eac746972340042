import { Controller, Param, Post, Req } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { checkAccountId } from '../../accounts/account-id';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { CreatedResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { DeletionOutcome } from '../../privacy/deletion/account-deletion';
import { ReportedMinor } from '../reported-minor';
import { ReportedMinorBody, ReportedMinorOutcome } from './legal.schemas';

/** Staff only (support, admin): audited by the staff-action interceptor; the events name the staff member. */
@ApiTags('legal')
@RoleRoutes(['admin', 'support'], 'Lacks the admin or support role.')
@Controller('admin/accounts/:id/reported-minor')
export class ReportedMinorController {
  constructor(private readonly minors: ReportedMinor) {}

  @Post()
  @ApiOperation({
    summary: 'The person is reported under 18: API keys refused at once, the account deleted (crypto-shredded) now, without the grace period; payment records kept.',
  })
  @CreatedResponse(ReportedMinorOutcome)
  @ApiResponse({ status: 400, description: 'A bad body, or a referenceId that is not a ticket or case id (invalid_body).' })
  @ApiNotFoundResponse({ description: 'No such account (or already deleted).' })
  async flag(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') accountId: string,
    @ValidBody(ReportedMinorBody) body: z.infer<typeof ReportedMinorBody>,
    @Req() req: Request,
  ): Promise<z.infer<typeof ReportedMinorOutcome>> {
    const referenceId = body?.referenceId ?? null;
    const outcome: DeletionOutcome = await this.minors.flag(checkAccountId(accountId), referenceId, commandContext(principal.accountId, req));
    return { accountId: outcome.accountId, shredded: outcome.shredded, revokedKeys: outcome.revokedKeys, endedSessions: outcome.endedSessions };
  }
}
