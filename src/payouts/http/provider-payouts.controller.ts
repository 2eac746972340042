import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { notFound } from '../../platform/errors/domain-error';
import { objectBody, optionalString, requiredString } from '../../platform/http/request-body';
import { sendCsv } from '../../ledger/http/csv-export';
import { STATEMENT_CSV_HEADER, statementCsvRow } from '../../ledger/http/me-credits.controller';
import { queryInt, queryRange, queryString } from '../../ledger/http/query-params';
import { providerAccount } from '../../ledger/ledger-accounts';
import { LedgerQueries, Page, StatementLine } from '../../ledger/ledger.queries';
import { parseUsd } from '../../platform/money';
import { PayoutPage, PayoutQueries, PayoutView } from '../payout.queries';
import { PayoutAvailability, PayoutsService } from '../payouts.service';
import { PayoutActionView, resultView } from './payout-views';

/**
 * A provider's own payouts and earnings statement. Every route is scoped to the signed-in
 * provider: another provider's payout id is answered exactly like a missing one (404).
 */
@ApiTags('provider')
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
  @ApiResponse({ status: 400, description: 'Below the minimum payout, or a malformed amount.' })
  @ApiResponse({ status: 409, description: 'payout_exceeds_earnings: more than is available (see /provider/payouts/available).' })
  async request(@CurrentPrincipal() principal: SessionPrincipal, @Body() raw: unknown, @Req() req: Request): Promise<PayoutActionView> {
    const body = objectBody(raw, ['amountUsd', 'payoutId']);
    const amount = parseUsd(requiredString(body, 'amountUsd', 1, 20));
    const payoutId = optionalString(body, 'payoutId', 1, 64) ?? undefined;
    return resultView(await this.payouts.request(principal.accountId, amount, commandContext(principal.accountId, req), payoutId));
  }

  @Get()
  @ApiOperation({ summary: 'My payouts, newest first.' })
  @ApiQuery({ name: 'status', required: false, enum: ['requested', 'approved', 'rejected', 'paid'] })
  @ApiQuery({ name: 'limit', required: false, description: '1..500, default 100' })
  @ApiQuery({ name: 'cursor', required: false })
  list(@CurrentPrincipal() principal: SessionPrincipal, @Query() q: Record<string, unknown>): Promise<PayoutPage> {
    return this.queries.list({
      providerId: principal.accountId,
      status: queryString(q.status, 'status', 20),
      limit: queryInt(q.limit, 'limit'),
      cursor: queryString(q.cursor, 'cursor', 200),
    });
  }

  @Get('available')
  @ApiOperation({ summary: 'Earned, held back (younger than the holdback), open, paid, and available = earned − held back − open − paid.' })
  available(@CurrentPrincipal() principal: SessionPrincipal): Promise<PayoutAvailability> {
    return this.payouts.availability(principal.accountId);
  }

  @Get('statement')
  @ApiOperation({ summary: 'My earnings account (provider:<me>): every earning and payout, newest first, with the running balance.' })
  @ApiQuery({ name: 'limit', required: false, description: '1..500, default 100' })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'from', required: false, description: 'ISO-8601, inclusive' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO-8601, exclusive' })
  statement(@CurrentPrincipal() principal: SessionPrincipal, @Query() q: Record<string, unknown>): Promise<Page<StatementLine>> {
    return this.ledger.statement(providerAccount(principal.accountId), { ...queryRange(q), limit: queryInt(q.limit, 'limit'), cursor: queryString(q.cursor, 'cursor', 20) });
  }

  @Get('statement.csv')
  @ApiOperation({ summary: 'The statement as CSV (at most 100,000 lines; narrow with from/to).' })
  async statementCsv(@CurrentPrincipal() principal: SessionPrincipal, @Query() q: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const range = queryRange(q);
    await sendCsv(res, 'earnings-statement.csv', STATEMENT_CSV_HEADER, statementCsvRow, (cursor, limit) =>
      this.ledger.statement(providerAccount(principal.accountId), { ...range, cursor, limit }),
    );
  }

  @Get(':payoutId')
  @ApiNotFoundResponse({ description: 'No such payout of mine.' })
  async get(@CurrentPrincipal() principal: SessionPrincipal, @Param('payoutId') payoutId: string): Promise<PayoutView> {
    const payout = await this.queries.get(principal.accountId, payoutId);
    if (!payout) throw notFound('payout_not_found', 'No such payout.');
    return payout;
  }
}
