import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { checkAccountId } from '../../admin/admin-accounts.service';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { Roles } from '../../auth/roles.decorator';
import { objectBody, optionalString, requiredString } from '../../platform/http/request-body';
import { REASON_MAX } from '../credits/credits.decide';
import { CreditsService, RecordedMoney } from '../credits.service';
import { developerAccount } from '../ledger-accounts';
import { AccountTotals, LedgerQueries } from '../ledger.queries';
import { parseUsd } from '../../platform/money';
import { CreditSpending } from '../spending/credit-spending';

export interface MoneyActionView {
  recorded: boolean;
  type: string | null;
  amountMicroUsd: string | null;
  operationId: string | null;
  /** pending_approval: above APPROVAL_THRESHOLD_USD, nothing applied until another staff member approves. */
  status: 'applied' | 'pending_approval' | 'rejected' | null;
}

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

/** Body: amountUsd as a decimal string, a reason for the audit trail, and optionally an operationId that makes a retry a no-op. */
function readMoneyBody(raw: unknown): { amountUsd: string; reason: string; operationId: string | undefined } {
  const body = objectBody(raw, ['amountUsd', 'reason', 'operationId']);
  return {
    amountUsd: requiredString(body, 'amountUsd', 1, 20),
    reason: requiredString(body, 'reason', 1, REASON_MAX),
    operationId: optionalString(body, 'operationId', 1, 64) ?? undefined,
  };
}

/** Staff money actions on one developer's credits; each is an event naming the staff member (P11). */
@ApiTags('admin')
@RoleRoutes(['admin', 'finance'], 'Admins and finance only (support may read).')
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
  async view(@Param('id') id: string): Promise<{ availableMicroUsd: string; heldMicroUsd: string; ledger: AccountTotals }> {
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
  async grant(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') id: string, @Body() raw: unknown, @Req() req: Request): Promise<MoneyActionView> {
    const body = readMoneyBody(raw);
    return view(await this.credits.grant(checkAccountId(id), parseUsd(body.amountUsd), body.reason, commandContext(principal.accountId, req), body.operationId));
  }

  @Post('approvals/:operationId/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve a grant or credit-adding correction above APPROVAL_THRESHOLD_USD that another staff member requested (four eyes); it is applied now.' })
  @ApiResponse({ status: 403, description: 'self_approval (you requested it) or payee_cannot_approve (your own account).' })
  @ApiResponse({ status: 404, description: 'approval_not_found.' })
  @ApiResponse({ status: 409, description: 'approval_rejected.' })
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
  async reject(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') id: string,
    @Param('operationId') operationId: string,
    @Body() raw: unknown,
    @Req() req: Request,
  ): Promise<MoneyActionView> {
    const reason = requiredString(objectBody(raw, ['reason']), 'reason', 1, REASON_MAX);
    return view(await this.credits.reject(checkAccountId(id), operationId, reason, commandContext(principal.accountId, req)));
  }

  @Post('corrections')
  @HttpCode(201)
  @ApiOperation({ summary: 'Correct a balance by a signed amount ("-3.50" takes credits away, never below what is available).' })
  @ApiResponse({ status: 409, description: 'A negative correction larger than the available credits.' })
  async correct(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') id: string, @Body() raw: unknown, @Req() req: Request): Promise<MoneyActionView> {
    const body = readMoneyBody(raw);
    return view(await this.credits.correct(checkAccountId(id), parseUsd(body.amountUsd), body.reason, commandContext(principal.accountId, req), body.operationId));
  }
}
