import { Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { checkAccountId } from '../../accounts/account-id';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { Roles } from '../../platform/access/roles.decorator';
import { CreditsService, RecordedMoney } from '../credits.service';
import { developerAccount } from '../ledger-accounts';
import { LedgerQueries } from '../ledger.queries';
import { OkResponse, CreatedResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { AdminCreditsView, MoneyActionView, MoneyBody, RejectBody } from './credits.schemas';
import { CreditSpending } from '../spending/credit-spending';

type MoneyActionView = z.infer<typeof MoneyActionView>;

const STATUS_OF: Record<string, MoneyActionView['status']> = {
  CreditsGranted: 'applied',
  CreditsCorrected: 'applied',
  CreditOperationRequested: 'pending_approval',
  CreditOperationRejected: 'rejected',
};

function view(result: RecordedMoney): MoneyActionView {
  const data = result.event?.data as Record<string, unknown> | undefined;
  const id = data?.grantId ?? data?.correctionId ?? data?.operationId ?? null;
  const type = result.event?.type ?? null;
  return {
    recorded: result.recorded,
    type,
    amountMicroUsd: (data?.amountMicroUsd as string | undefined) ?? null,
    operationId: id as string | null,
    status: type ? (STATUS_OF[type] ?? null) : null,
  };
}

/** Staff money actions on one developer's credits; each is an event naming the staff member (P11). */
@ApiTags('ledger')
@RoleRoutes(['admin', 'finance'], 'Admins and finance only (support may read).')
@ApiResponse({ status: 404, description: 'account_not_found: no such account.' })
@Controller('admin/accounts/:id/credits')
export class AdminCreditsController {
  constructor(
    private readonly credits: CreditsService,
    private readonly spending: CreditSpending,
    private readonly ledger: LedgerQueries,
  ) {}

  @Get()
  @Roles('admin', 'finance', 'support')
  @ApiOperation({ summary: "A developer's credits: available now (with holds) and ledger totals." })
  @OkResponse(AdminCreditsView)
  async view(@Param('id') id: string): Promise<z.infer<typeof AdminCreditsView>> {
    const accountId = checkAccountId(id);
    const funds = await this.spending.funds(accountId);
    return {
      availableMicroUsd: funds.availableMicroUsd.toString(),
      heldMicroUsd: funds.heldMicroUsd.toString(),
      ledger: await this.ledger.accountTotals(developerAccount(accountId)),
    };
  }

  @Post('grants')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Grant credits (promotional): { amountUsd: "25.00", reason, operationId? }. Above APPROVAL_THRESHOLD_USD: status pending_approval until another staff member approves.',
  })
  @ApiResponse({ status: 400, description: 'invalid_body (a missing, unknown or too long field), invalid_amount, invalid_reason or invalid_id.' })
  @CreatedResponse(MoneyActionView)
  async grant(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') id: string,
    @ValidBody(MoneyBody) body: z.infer<typeof MoneyBody>,
    @Req() req: Request,
  ): Promise<MoneyActionView> {
    return view(await this.credits.grant(checkAccountId(id), body.amountUsd, body.reason, commandContext(principal.accountId, req), body.operationId));
  }

  @Post('approvals/:operationId/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve a grant or credit-adding correction above APPROVAL_THRESHOLD_USD that another staff member requested (four eyes); it is applied now.' })
  @ApiResponse({ status: 403, description: 'self_approval (you requested it) or payee_cannot_approve (your own account).' })
  @ApiResponse({ status: 404, description: 'approval_not_found.' })
  @ApiResponse({ status: 409, description: 'approval_rejected.' })
  @OkResponse(MoneyActionView)
  async approve(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') id: string,
    @Param('operationId') operationId: string,
    @Req() req: Request,
  ): Promise<MoneyActionView> {
    return view(await this.credits.approve(checkAccountId(id), operationId, commandContext(principal.accountId, req)));
  }

  @Post('approvals/:operationId/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a grant or correction waiting for approval: { reason }.' })
  @ApiResponse({ status: 400, description: 'invalid_body or invalid_reason.' })
  @ApiResponse({ status: 404, description: 'approval_not_found: none with this id is waiting.' })
  @OkResponse(MoneyActionView)
  async reject(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') id: string,
    @Param('operationId') operationId: string,
    @ValidBody(RejectBody) body: z.infer<typeof RejectBody>,
    @Req() req: Request,
  ): Promise<MoneyActionView> {
    return view(await this.credits.reject(checkAccountId(id), operationId, body.reason, commandContext(principal.accountId, req)));
  }

  @Post('corrections')
  @HttpCode(201)
  @ApiOperation({ summary: 'Correct a balance by a signed amount ("-3.50" takes credits away, never below what is available).' })
  @ApiResponse({ status: 409, description: 'A negative correction larger than the available credits.' })
  @ApiResponse({ status: 400, description: 'invalid_body (a missing, unknown or too long field), invalid_amount, invalid_reason or invalid_id.' })
  @CreatedResponse(MoneyActionView)
  async correct(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') id: string,
    @ValidBody(MoneyBody) body: z.infer<typeof MoneyBody>,
    @Req() req: Request,
  ): Promise<MoneyActionView> {
    return view(await this.credits.correct(checkAccountId(id), body.amountUsd, body.reason, commandContext(principal.accountId, req), body.operationId));
  }
}
