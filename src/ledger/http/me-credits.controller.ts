import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { SESSION_COOKIE } from '../../auth/session.cookies';
import { SessionGuard } from '../../auth/session.guard';
import { developerAccount } from '../ledger-accounts';
import { LedgerQueries, Page, STATEMENT_CURSOR_MAX, StatementLine } from '../ledger.queries';
import { formatUsd } from '../../platform/money';
import { CreditSpending } from '../spending/credit-spending';
import { sendCsv } from './csv-export';
import { queryInt, queryRange, queryString } from './query-params';

export interface CreditsView {
  currency: 'USD';
  balanceMicroUsd: string;
  heldMicroUsd: string;
  availableMicroUsd: string;
  balanceUsd: string;
  availableUsd: string;
}

export const STATEMENT_CSV_HEADER = ['entry_no', 'occurred_at', 'type', 'reference', 'amount_usd', 'balance_after_usd', 'amount_micro_usd', 'balance_after_micro_usd'];
export const statementCsvRow = (l: StatementLine) => [
  l.entryNo,
  l.occurredAt,
  l.type,
  l.reference,
  formatUsd(BigInt(l.amountMicroUsd)),
  formatUsd(BigInt(l.balanceAfterMicroUsd)),
  l.amountMicroUsd,
  l.balanceAfterMicroUsd,
];

/** The signed-in developer's credits: balance, and the statement that explains it. */
@ApiTags('credits')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Not signed in, or the session ended.' })
@UseGuards(SessionGuard)
@Controller('me/credits')
export class MeCreditsController {
  constructor(
    private readonly spending: CreditSpending,
    private readonly ledger: LedgerQueries,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Credits: the ledger balance, what requests in flight hold, and what is available (micro-USD and USD).' })
  async balance(@CurrentPrincipal() principal: SessionPrincipal): Promise<CreditsView> {
    const funds = await this.spending.funds(principal.accountId);
    return {
      currency: 'USD',
      balanceMicroUsd: funds.balanceMicroUsd.toString(),
      heldMicroUsd: funds.heldMicroUsd.toString(),
      availableMicroUsd: funds.availableMicroUsd.toString(),
      balanceUsd: formatUsd(funds.balanceMicroUsd),
      availableUsd: formatUsd(funds.availableMicroUsd),
    };
  }

  @Get('statement')
  @ApiOperation({ summary: 'Statement lines, newest first, each with the running balance after it. Page with `cursor`.' })
  @ApiQuery({ name: 'limit', required: false, description: '1..500, default 100' })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'from', required: false, description: 'ISO-8601, inclusive' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO-8601, exclusive' })
  @ApiOkResponse({ description: '{ items: StatementLine[], nextCursor }' })
  statement(@CurrentPrincipal() principal: SessionPrincipal, @Query() query: Record<string, unknown>): Promise<Page<StatementLine>> {
    return this.ledger.statement(developerAccount(principal.accountId), {
      ...queryRange(query),
      limit: queryInt(query.limit, 'limit'),
      cursor: queryString(query.cursor, 'cursor', STATEMENT_CURSOR_MAX),
    });
  }

  @Get('statement.csv')
  @ApiOperation({ summary: 'The statement as CSV (at most 100,000 lines; narrow with from/to).' })
  async statementCsv(@CurrentPrincipal() principal: SessionPrincipal, @Query() query: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const range = queryRange(query);
    await sendCsv(res, 'statement.csv', STATEMENT_CSV_HEADER, statementCsvRow, (cursor, limit) =>
      this.ledger.statement(developerAccount(principal.accountId), { ...range, cursor, limit }),
    );
  }
}
