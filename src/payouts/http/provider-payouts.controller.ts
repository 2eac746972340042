import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { notFound } from '../../platform/errors/domain-error';
import { CreatedResponse, CsvResponse, OkResponse } from '../../platform/http/schema/responses';
import { ValidBody, ValidQuery } from '../../platform/http/schema/valid';
import { sendCsv } from '../../ledger/http/csv-export';
import { STATEMENT_CSV_HEADER, statementCsvRow } from '../../ledger/http/me-credits.controller';
import { providerAccount } from '../../ledger/ledger-accounts';
import { LedgerQueries } from '../../ledger/ledger.queries';
import { PayoutQueries } from '../payout.queries';
import { PayoutsService } from '../payouts.service';
import { resultView } from './payout-views';
import {
  PayoutActionView,
  PayoutAvailability,
  PayoutPage,
  PayoutView,
  ProviderPayoutsQuery,
  RequestPayoutBody,
  StatementCsvQuery,
  StatementPage,
  StatementQuery,
} from './payouts.schemas';

/**
 * A provider's own payouts and earnings statement. Every route is scoped to the signed-in
 * provider: another provider's payout id is answered exactly like a missing one (404).
 */
@ApiTags('payouts')
@RoleRoutes(['provider'], 'Not a provider (providers join by invite).')
@Controller('provider/payouts')
export class ProviderPayoutsController {
  constructor(
    private readonly payouts: PayoutsService,
    private readonly queries: PayoutQueries,
    private readonly ledger: LedgerQueries,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Request a payout: { amountUsd: "25.00", payoutId? } (payoutId makes a retry a no-op).' })
  @CreatedResponse(PayoutActionView, 'Requested (recorded: false when this payoutId was already requested for this amount).')
  @ApiResponse({ status: 400, description: 'payout_below_minimum, a malformed amount (invalid_amount) or body (invalid_body).' })
  @ApiResponse({
    status: 409,
    description: 'payout_exceeds_earnings: more than is available (see /provider/payouts/available); payout_id_reused (this payoutId, another amount); too_many_open_payouts.',
  })
  async request(
    @CurrentPrincipal() principal: SessionPrincipal,
    @ValidBody(RequestPayoutBody) body: z.infer<typeof RequestPayoutBody>,
    @Req() req: Request,
  ): Promise<z.infer<typeof PayoutActionView>> {
    return resultView(await this.payouts.request(principal.accountId, body.amountUsd, commandContext(principal.accountId, req), body.payoutId));
  }

  @Get()
  @ApiOperation({ summary: 'My payouts, newest first.' })
  @OkResponse(PayoutPage)
  @ApiResponse({ status: 400, description: 'A malformed query (invalid_query), limit (invalid_limit) or cursor (invalid_cursor).' })
  list(@CurrentPrincipal() principal: SessionPrincipal, @ValidQuery(ProviderPayoutsQuery) q: z.infer<typeof ProviderPayoutsQuery>): Promise<z.infer<typeof PayoutPage>> {
    return this.queries.list({ providerId: principal.accountId, status: q.status, limit: q.limit, cursor: q.cursor });
  }

  @Get('available')
  @ApiOperation({ summary: 'Earned, held back (younger than the holdback), open, paid, and available = earned − held back − open − paid.' })
  @OkResponse(PayoutAvailability)
  available(@CurrentPrincipal() principal: SessionPrincipal): Promise<z.infer<typeof PayoutAvailability>> {
    return this.payouts.availability(principal.accountId);
  }

  @Get('statement')
  @ApiOperation({ summary: 'My earnings account (provider:<me>): every earning and payout, newest first, with the running balance.' })
  @OkResponse(StatementPage)
  @ApiResponse({ status: 400, description: 'A malformed query or time (invalid_query), limit (invalid_limit) or cursor (invalid_cursor).' })
  statement(@CurrentPrincipal() principal: SessionPrincipal, @ValidQuery(StatementQuery) q: z.infer<typeof StatementQuery>): Promise<z.infer<typeof StatementPage>> {
    return this.ledger.statement(providerAccount(principal.accountId), q);
  }

  @Get('statement.csv')
  @ApiOperation({ summary: 'The statement as CSV (at most 100,000 lines; narrow with from/to).' })
  @CsvResponse(STATEMENT_CSV_HEADER)
  @ApiResponse({ status: 400, description: 'A malformed time range (invalid_query).' })
  async statementCsv(
    @CurrentPrincipal() principal: SessionPrincipal,
    @ValidQuery(StatementCsvQuery) range: z.infer<typeof StatementCsvQuery>,
    @Res() res: Response,
  ): Promise<void> {
    await sendCsv(res, 'earnings-statement.csv', STATEMENT_CSV_HEADER, statementCsvRow, (cursor, limit) =>
      this.ledger.statement(providerAccount(principal.accountId), { ...range, cursor, limit }),
    );
  }

  @Get(':payoutId')
  @ApiOperation({ summary: 'One of my payouts.' })
  @OkResponse(PayoutView)
  @ApiResponse({ status: 404, description: 'payout_not_found: no such payout of mine.' })
  async get(@CurrentPrincipal() principal: SessionPrincipal, @Param('payoutId') payoutId: string): Promise<z.infer<typeof PayoutView>> {
    const payout = await this.queries.get(principal.accountId, payoutId);
    if (!payout) throw notFound('payout_not_found', 'No such payout.');
    return payout;
  }
}
