import { Body, Controller, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { checkAccountId } from '../../admin/admin-accounts.service';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { invalid } from '../../platform/errors/domain-error';
import { objectBody } from '../../platform/http/request-body';
import { DeletionOutcome } from '../../privacy/deletion/account-deletion';
import { ReportedMinor } from '../reported-minor';

/** A ticket or case id, never free text: it stays in the events after the person's data is shredded. */
const REFERENCE_ID = /^[A-Za-z0-9_.:-]{1,100}$/;

export class ReportedMinorBody {
  @ApiPropertyOptional({ example: 'ticket-4821', description: 'The support ticket or case id (letters, digits, _ . : -; no personal data)' })
  referenceId?: string;
}

export class ReportedMinorResponse {
  @ApiProperty()
  accountId!: string;
  @ApiProperty({ description: 'Personal data key shredded by this call' })
  shredded!: boolean;
  @ApiProperty()
  revokedKeys!: number;
  @ApiProperty()
  endedSessions!: number;
}

/** Staff only (support, admin): audited by the staff-action interceptor; the events name the staff member. */
@ApiTags('admin')
@RoleRoutes(['admin', 'support'], 'Lacks the admin or support role.')
@Controller('admin/accounts/:id/reported-minor')
export class ReportedMinorController {
  constructor(private readonly minors: ReportedMinor) {}

  @Post()
  @ApiOperation({
    summary: 'The person is reported under 18: API keys refused at once, the account deleted (crypto-shredded) now, without the grace period; payment records kept.',
  })
  @ApiBody({ type: ReportedMinorBody })
  @ApiOkResponse({ type: ReportedMinorResponse })
  async flag(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') accountId: string, @Body() raw: unknown, @Req() req: Request): Promise<ReportedMinorResponse> {
    const body = objectBody(raw ?? {}, ['referenceId']);
    const referenceId = body.referenceId ?? null;
    if (referenceId !== null && (typeof referenceId !== 'string' || !REFERENCE_ID.test(referenceId))) {
      throw invalid('invalid_body', 'referenceId must be a ticket or case id: 1..100 letters, digits, "_", ".", ":" or "-" (no personal data).');
    }
    const outcome: DeletionOutcome = await this.minors.flag(checkAccountId(accountId), referenceId, commandContext(principal.accountId, req));
    return { accountId: outcome.accountId, shredded: outcome.shredded, revokedKeys: outcome.revokedKeys, endedSessions: outcome.endedSessions };
  }
}
