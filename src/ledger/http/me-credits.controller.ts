import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { SESSION_COOKIE } from '../../platform/access/session-cookie';
import { SessionGuard } from '../../platform/access/session.guard';
import { developerAccount } from '../ledger-accounts';
import { LedgerQueries, StatementLine } from '../ledger.queries';
import { formatUsd } from '../../platform/money';
import { CreditSpending } from '../spending/credit-spending';
import { sendCsv } from './csv-export';
import { CsvResponse, OkResponse } from '../../platform/http/schema/responses';
import { ValidQuery } from '../../platform/http/schema/valid';
import { CreditsView } from './credits.schemas';
import { RangeQuery, StatementPage, StatementQuery } from './ledger.schemas';

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
@ApiTags('ledger')
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
  @OkResponse(CreditsView)
  async balance(@CurrentPrincipal() principal: SessionPrincipal): Promise<z.infer<typeof CreditsView>> {
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
  @OkResponse(StatementPage)
  @ApiResponse({ status: 400, description: 'invalid_query (a bad or unknown parameter, from not before to), invalid_limit or invalid_cursor.' })
  statement(@CurrentPrincipal() principal: SessionPrincipal, @ValidQuery(StatementQuery) query: z.infer<typeof StatementQuery>): Promise<z.infer<typeof StatementPage>> {
    return this.ledger.statement(developerAccount(principal.accountId), query);
  }

  @Get('statement.csv')
  @ApiOperation({ summary: 'The statement as CSV (at most 100,000 lines; narrow with from/to).' })
  @CsvResponse(STATEMENT_CSV_HEADER)
  @ApiResponse({ status: 400, description: 'invalid_query: a bad or unknown parameter, or from not before to.' })
  async statementCsv(@CurrentPrincipal() principal: SessionPrincipal, @ValidQuery(RangeQuery) range: z.infer<typeof RangeQuery>, @Res() res: Response): Promise<void> {
    await sendCsv(res, 'statement.csv', STATEMENT_CSV_HEADER, statementCsvRow, (cursor, limit) =>
      this.ledger.statement(developerAccount(principal.accountId), { ...range, cursor, limit }),
    );
  }
}
