import { Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { Roles } from '../../platform/access/roles.decorator';
import { OkResponse } from '../../platform/http/schema/responses';
import { ValidBody, ValidQuery } from '../../platform/http/schema/valid';
import { PayoutQueries } from '../payout.queries';
import { PayoutsService } from '../payouts.service';
import { resultView } from './payout-views';
import { FinancePayoutPage, FinancePayoutsQuery, MarkPayoutPaidBody, PayoutActionView, PayoutAvailability, RejectPayoutBody } from './payouts.schemas';

type ActionView = z.infer<typeof PayoutActionView>;

/**
 * Finance works the payout queue: approve, reject with a reason, mark paid with the bank
 * reference. Each step is an event whose metadata names the finance account (P11). Four eyes:
 * one finance member approves, another marks paid, and neither is the payee. Admins read.
 */
@ApiTags('payouts')
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
  @OkResponse(FinancePayoutPage)
  @ApiResponse({ status: 400, description: 'A malformed query (invalid_query), limit (invalid_limit) or cursor (invalid_cursor).' })
  list(@ValidQuery(FinancePayoutsQuery) q: z.infer<typeof FinancePayoutsQuery>): Promise<z.infer<typeof FinancePayoutPage>> {
    return this.queries.list({ status: q.status, providerId: q.providerId, limit: q.limit, cursor: q.cursor, withActors: true });
  }

  @Get(':providerId/available')
  @Roles('finance', 'admin')
  @ApiOperation({ summary: "A provider's earnings, held back, open, paid and available amounts." })
  @OkResponse(PayoutAvailability)
  available(@Param('providerId') providerId: string): Promise<z.infer<typeof PayoutAvailability>> {
    return this.payouts.availability(providerId);
  }

  @Post(':providerId/:payoutId/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve a requested payout (no body). Another finance member marks it paid.' })
  @OkResponse(PayoutActionView, 'Approved (recorded: false when it already was).')
  @ApiResponse({ status: 404, description: 'No such payout.' })
  @ApiResponse({ status: 403, description: 'payee_cannot_approve: the payout is to you.' })
  @ApiResponse({ status: 409, description: 'payout_not_open: the payout was rejected or paid.' })
  async approve(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('providerId') providerId: string,
    @Param('payoutId') payoutId: string,
    @Req() req: Request,
  ): Promise<ActionView> {
    return resultView(await this.payouts.approve(providerId, payoutId, commandContext(principal.accountId, req)));
  }

  @Post(':providerId/:payoutId/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a payout that is not paid yet: { reason }. Its amount becomes available again.' })
  @OkResponse(PayoutActionView, 'Rejected (recorded: false when it already was).')
  @ApiResponse({ status: 400, description: 'A missing or too long reason (invalid_body).' })
  @ApiResponse({ status: 404, description: 'No such payout.' })
  @ApiResponse({ status: 409, description: 'The payout was already paid.' })
  async reject(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('providerId') providerId: string,
    @Param('payoutId') payoutId: string,
    @ValidBody(RejectPayoutBody) body: z.infer<typeof RejectPayoutBody>,
    @Req() req: Request,
  ): Promise<ActionView> {
    return resultView(await this.payouts.reject(providerId, payoutId, body.reason, commandContext(principal.accountId, req)));
  }

  @Post(':providerId/:payoutId/paid')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Record that an approved payout was sent: { reference } (bank/UTR reference). Posts provider → platform:payouts. Four eyes: not by the staff member who approved it, nor by the payee.',
  })
  @OkResponse(PayoutActionView, 'Paid (recorded: false when it already was).')
  @ApiResponse({ status: 400, description: 'A missing or too long reference (invalid_body).' })
  @ApiResponse({ status: 404, description: 'No such payout.' })
  @ApiResponse({ status: 403, description: 'payee_cannot_approve: the payout is to you.' })
  @ApiResponse({ status: 409, description: 'payout_not_approved, or second_approver_required (you approved it).' })
  async paid(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('providerId') providerId: string,
    @Param('payoutId') payoutId: string,
    @ValidBody(MarkPayoutPaidBody) body: z.infer<typeof MarkPayoutPaidBody>,
    @Req() req: Request,
  ): Promise<ActionView> {
    return resultView(await this.payouts.markPaid(providerId, payoutId, body.reference, commandContext(principal.accountId, req)));
  }
}
