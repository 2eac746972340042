import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { invalid } from '../../platform/errors/domain-error';
import { AccountTotals, JournalEntry, JournalFilter, LedgerQueries, Page, STATEMENT_CURSOR_MAX, StatementLine, TrialBalance } from '../ledger.queries';
import { sendCsv } from './csv-export';
import { queryInt, queryRange, queryString, queryTime } from './query-params';

const KINDS = ['developer', 'provider', 'vendor', 'platform'];

function journalFilter(query: Record<string, unknown>): JournalFilter {
  return { ...queryRange(query), account: queryString(query.account, 'account', 100), type: queryString(query.type, 'type', 64), owner: queryString(query.owner, 'owner', 64) };
}

/** Finance's audit of the ledger: journal, trial balance, any ledger account. Read-only. */
@ApiTags('finance')
@RoleRoutes(['finance', 'admin'], 'Finance and admins only.')
@Controller('finance')
export class FinanceLedgerController {
  constructor(private readonly ledger: LedgerQueries) {}

  @Get('journal')
  @ApiOperation({ summary: 'Ledger transactions with their postings, newest first; filter by ledger account, event type and time.' })
  @ApiQuery({ name: 'account', required: false, description: 'e.g. developer:<accountId>, platform:revenue' })
  @ApiQuery({ name: 'type', required: false, description: 'e.g. CreditsPurchased, UsageRecorded' })
  @ApiQuery({ name: 'owner', required: false, description: 'an account id: the transactions about that developer or provider' })
  @ApiQuery({ name: 'from', required: false })
  @ApiQuery({ name: 'to', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  journal(@Query() query: Record<string, unknown>): Promise<Page<JournalEntry>> {
    return this.ledger.journal({ ...journalFilter(query), limit: queryInt(query.limit, 'limit'), cursor: queryString(query.cursor, 'cursor', 20) });
  }

  @Get('journal.csv')
  @ApiOperation({ summary: 'The journal as CSV, one row per posting (at most 100,000 rows).' })
  async journalCsv(@Query() query: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const filter = journalFilter(query);
    // One row per posting, so an export adds up to zero per transaction like the ledger itself.
    const rows = async (cursor: string | undefined, limit: number): Promise<Page<[JournalEntry, number]>> => {
      const page = await this.ledger.journal({ ...filter, cursor, limit: Math.max(1, Math.floor(limit / 4)) });
      return { items: page.items.flatMap((e) => e.postings.map((_, i) => [e, i] as [JournalEntry, number])), nextCursor: page.nextCursor };
    };
    await sendCsv(
      res,
      'journal.csv',
      ['tx_no', 'occurred_at', 'type', 'stream', 'event_id', 'owner_id', 'reference', 'actor_id', 'reason', 'ledger_account', 'amount_micro_usd'],
      ([e, i]) => [e.txNo, e.occurredAt, e.type, e.stream, e.eventId, e.ownerId, e.reference, e.actorId, e.reason, e.postings[i].account, e.postings[i].amountMicroUsd],
      rows,
    );
  }

  @Get('trial-balance')
  @ApiOperation({ summary: 'Debits and credits over every ledger account (now, or at a past instant with `at`); they must be equal.' })
  @ApiQuery({ name: 'at', required: false, description: 'ISO-8601 instant' })
  trialBalance(@Query() query: Record<string, unknown>): Promise<TrialBalance> {
    return this.ledger.trialBalance(queryTime(query.at, 'at'));
  }

  @Get('ledger-accounts')
  @ApiOperation({ summary: 'Ledger accounts with their totals, by name; filter by kind.' })
  @ApiQuery({ name: 'kind', required: false, enum: KINDS })
  accounts(@Query() query: Record<string, unknown>): Promise<Page<AccountTotals>> {
    const kind = queryString(query.kind, 'kind', 20);
    if (kind && !KINDS.includes(kind)) throw invalid('invalid_query', `kind must be one of ${KINDS.join(', ')}.`);
    return this.ledger.accounts({ kind, limit: queryInt(query.limit, 'limit'), cursor: queryString(query.cursor, 'cursor', 100) });
  }

  @Get('ledger-accounts/:account')
  @ApiOperation({ summary: 'One ledger account: totals and its lines with running balance, reasons and actors.' })
  async account(@Param('account') account: string, @Query() query: Record<string, unknown>): Promise<{ totals: AccountTotals; lines: Page<StatementLine> }> {
    const lines = await this.ledger.statement(account, {
      ...queryRange(query),
      limit: queryInt(query.limit, 'limit'),
      cursor: queryString(query.cursor, 'cursor', STATEMENT_CURSOR_MAX),
      withAudit: true,
    });
    return { totals: await this.ledger.accountTotals(account), lines };
  }
}
