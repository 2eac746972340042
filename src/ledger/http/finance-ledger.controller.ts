import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { CsvResponse, OkResponse } from '../../platform/http/schema/responses';
import { ValidQuery } from '../../platform/http/schema/valid';
import { JournalEntry, LedgerQueries, Page } from '../ledger.queries';
import { sendCsv } from './csv-export';
import {
  AccountsPage,
  AccountsQuery,
  AccountView,
  JOURNAL_CSV_COLUMNS,
  JournalFilterQuery,
  JournalPage,
  JournalQuery,
  StatementQuery,
  TrialBalanceQuery,
  TrialBalanceView,
} from './ledger.schemas';

/** Finance's audit of the ledger: journal, trial balance, any ledger account. Read-only. */
@ApiTags('ledger')
@RoleRoutes(['finance', 'admin'], 'Finance and admins only.')
@Controller('finance')
export class FinanceLedgerController {
  constructor(private readonly ledger: LedgerQueries) {}

  @Get('journal')
  @ApiOperation({ summary: 'Ledger transactions with their postings, newest first; filter by ledger account, event type and time.' })
  @OkResponse(JournalPage)
  @ApiResponse({ status: 400, description: 'invalid_query (a bad or unknown parameter, from not before to), invalid_limit or invalid_cursor.' })
  @ApiResponse({ status: 404, description: 'ledger_account_not_found: not a ledger account name.' })
  journal(@ValidQuery(JournalQuery) query: z.infer<typeof JournalQuery>): Promise<z.infer<typeof JournalPage>> {
    return this.ledger.journal(query);
  }

  @Get('journal.csv')
  @ApiOperation({ summary: 'The journal as CSV, one row per posting (at most 100,000 rows).' })
  @CsvResponse(JOURNAL_CSV_COLUMNS)
  @ApiResponse({ status: 400, description: 'invalid_query: a bad or unknown parameter, or from not before to.' })
  @ApiResponse({ status: 404, description: 'ledger_account_not_found: not a ledger account name.' })
  async journalCsv(@ValidQuery(JournalFilterQuery) filter: z.infer<typeof JournalFilterQuery>, @Res() res: Response): Promise<void> {
    // One row per posting, so an export adds up to zero per transaction like the ledger itself.
    const rows = async (cursor: string | undefined, limit: number): Promise<Page<[JournalEntry, number]>> => {
      const page = await this.ledger.journal({ ...filter, cursor, limit: Math.max(1, Math.floor(limit / 4)) });
      return { items: page.items.flatMap((e) => e.postings.map((_, i) => [e, i] as [JournalEntry, number])), nextCursor: page.nextCursor };
    };
    await sendCsv(
      res,
      'journal.csv',
      JOURNAL_CSV_COLUMNS,
      ([e, i]) => [e.txNo, e.occurredAt, e.type, e.stream, e.eventId, e.ownerId, e.reference, e.actorId, e.reason, e.postings[i].account, e.postings[i].amountMicroUsd],
      rows,
    );
  }

  @Get('trial-balance')
  @ApiOperation({ summary: 'Debits and credits over every ledger account (now, or at a past instant with `at`); they must be equal.' })
  @OkResponse(TrialBalanceView)
  @ApiResponse({ status: 400, description: 'invalid_query: at is not an instant in range.' })
  trialBalance(@ValidQuery(TrialBalanceQuery) query: z.infer<typeof TrialBalanceQuery>): Promise<z.infer<typeof TrialBalanceView>> {
    return this.ledger.trialBalance(query.at);
  }

  @Get('ledger-accounts')
  @ApiOperation({ summary: 'Ledger accounts with their totals, by name; filter by kind.' })
  @OkResponse(AccountsPage)
  @ApiResponse({ status: 400, description: 'invalid_query (an unknown kind or parameter), invalid_limit.' })
  accounts(@ValidQuery(AccountsQuery) query: z.infer<typeof AccountsQuery>): Promise<z.infer<typeof AccountsPage>> {
    return this.ledger.accounts(query);
  }

  @Get('ledger-accounts/:account')
  @ApiOperation({ summary: 'One ledger account: totals and its lines with running balance, reasons and actors.' })
  @OkResponse(AccountView)
  @ApiResponse({ status: 400, description: 'invalid_query (a bad or unknown parameter, from not before to), invalid_limit or invalid_cursor.' })
  @ApiResponse({ status: 404, description: 'ledger_account_not_found: not a ledger account name.' })
  async account(@Param('account') account: string, @ValidQuery(StatementQuery) query: z.infer<typeof StatementQuery>): Promise<z.infer<typeof AccountView>> {
    const lines = await this.ledger.statement(account, { ...query, withAudit: true });
    return { totals: await this.ledger.accountTotals(account), lines };
  }
}
