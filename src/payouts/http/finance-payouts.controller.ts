import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { Roles } from '../../auth/roles.decorator';
import { objectBody, requiredString } from '../../platform/http/request-body';
import { queryInt, queryString } from '../../ledger/http/query-params';
import { PAYOUT_REASON_MAX, PAYOUT_REFERENCE_MAX } from '../payout.decide';
import { PayoutPage, PayoutQueries } from '../payout.queries';
import { PayoutAvailability, PayoutsService } from '../payouts.service';
import { PayoutActionView, resultView } from './payout-views';

/**
 * Finance works the payout queue: approve, reject with a reason, mark paid with the bank
 * reference. Each step is an event whose metadata names the finance account (P11). Four eyes:
 * one finance member approves, another marks paid, and neither is the payee. Admins read.
 */
@ApiTags('finance')
@RoleRoutes(['finance'], 'Finance only (admins may read).')
@Controller('finance/payouts')
export class FinancePayoutsController {
  constructor(
    private readonly payouts: PayoutsService,
    private readonly queries: PayoutQueries,
  ) {}

  @Get()
  @Roles('finance', 'admin')
  @ApiOperation({ summary: 'Payouts of every provider, newest first, with who took each step.' })
  @ApiQuery({ name: 'status', required: false, enum: ['requested', 'approved', 'rejected', 'paid'] })
  @ApiQuery({ name: 'providerId', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1..500, default 100' })
  @ApiQuery({ name: 'cursor', required: false })
  list(@Query() q: Record<string, unknown>): Promise<PayoutPage> {
    return this.queries.list({
      status: queryString(q.status, 'status', 20),
      providerId: queryString(q.providerId, 'providerId', 64),
      limit: queryInt(q.limit, 'limit'),
      cursor: queryString(q.cursor, 'cursor', 200),
      withActors: true,
    });
  }

  @Get(':providerId/available')
  @Roles('finance', 'admin')
  @ApiOperation({ summary: "A provider's earnings, held back, open, paid and available amounts." })
  available(@Param('providerId') providerId: string): Promise<PayoutAvailability> {
    return this.payouts.availability(providerId);
  }

  @Post(':providerId/:payoutId/approve')
  @HttpCode(200)
  @ApiResponse({ status: 404, description: 'No such payout.' })
  @ApiResponse({ status: 403, description: 'payee_cannot_approve: the payout is to you.' })
  @ApiResponse({ status: 409, description: 'The payout was rejected.' })
  async approve(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('providerId') providerId: string,
    @Param('payoutId') payoutId: string,
    @Req() req: Request,
  ): Promise<PayoutActionView> {
    return resultView(await this.payouts.approve(providerId, payoutId, commandContext(principal.accountId, req)));
  }

  @Post(':providerId/:payoutId/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a payout that is not paid yet: { reason }. Its amount becomes available again.' })
  async reject(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('providerId') providerId: string,
    @Param('payoutId') payoutId: string,
    @Body() raw: unknown,
    @Req() req: Request,
  ): Promise<PayoutActionView> {
    const reason = requiredString(objectBody(raw, ['reason']), 'reason', 1, PAYOUT_REASON_MAX);
    return resultView(await this.payouts.reject(providerId, payoutId, reason, commandContext(principal.accountId, req)));
  }

  @Post(':providerId/:payoutId/paid')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Record that an approved payout was sent: { reference } (bank/UTR reference). Posts provider → platform:payouts. Four eyes: not by the staff member who approved it, nor by the payee.',
  })
  @ApiResponse({ status: 403, description: 'payee_cannot_approve: the payout is to you.' })
  @ApiResponse({ status: 409, description: 'payout_not_approved, or second_approver_required (you approved it).' })
  async paid(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('providerId') providerId: string,
    @Param('payoutId') payoutId: string,
    @Body() raw: unknown,
    @Req() req: Request,
  ): Promise<PayoutActionView> {
    const reference = requiredString(objectBody(raw, ['reference']), 'reference', 1, PAYOUT_REFERENCE_MAX);
    return resultView(await this.payouts.markPaid(providerId, payoutId, reference, commandContext(principal.accountId, req)));
  }
}
