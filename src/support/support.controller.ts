import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { checkAccountId } from '../admin/admin-accounts.service';
import { RoleRoutes } from '../auth/role-routes.decorator';
import { invalid } from '../platform/errors/domain-error';
import { queryInt, queryRange, queryString, queryTime } from '../ledger/http/query-params';
import { AccountHistory, AccountStateAt } from './account-history';
import { BalanceExplained, explainBalance } from './balance-explained';
import { LedgerQueries } from '../ledger/ledger.queries';
import { TimelineEntry } from './event-summary';

function atOf(q: Record<string, unknown>): Date {
  const at = queryTime(q.at, 'at') ?? new Date();
  if (at.getTime() > Date.now() + 60_000) throw invalid('invalid_query', 'at must not be in the future.');
  return at;
}

/**
 * Support's replay of an account (support and admins): its events across all its streams
 * (metadata only), its state at any instant, and why its balance is what it is. Every look-up
 * is itself in the audit log (the staff audit interceptor records it with the caller).
 */
@ApiTags('support')
@ApiResponse({ status: 404, description: 'No such account.' })
@RoleRoutes(['support', 'admin'], 'Support and admins only.')
@Controller('support/accounts/:id')
export class SupportController {
  constructor(
    private readonly history: AccountHistory,
    private readonly ledger: LedgerQueries,
  ) {}

  @Get('timeline')
  @ApiOperation({ summary: "The account's events across all its streams, newest first: type, stream, revision, time, actor and a safe summary (ids, amounts, statuses)." })
  @ApiQuery({ name: 'from', required: false })
  @ApiQuery({ name: 'to', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1..500, default 100' })
  @ApiQuery({ name: 'before', required: false, description: 'nextCursor of the previous page, or an ISO time' })
  timeline(@Param('id') id: string, @Query() q: Record<string, unknown>): Promise<{ items: TimelineEntry[]; nextCursor: string | null }> {
    return this.history.timeline(checkAccountId(id), { ...queryRange(q), limit: queryInt(q.limit, 'limit'), before: queryString(q.before, 'before', 400) });
  }

  @Get('state')
  @ApiOperation({ summary: "The account's state at an instant (default now), folded from its events with the write side's own evolve functions." })
  @ApiQuery({ name: 'at', required: false, description: 'ISO-8601 instant' })
  state(@Param('id') id: string, @Query() q: Record<string, unknown>): Promise<AccountStateAt> {
    return this.history.stateAt(checkAccountId(id), atOf(q));
  }

  @Get('balance-explained')
  @ApiOperation({ summary: 'Why the balance is what it is at an instant: the statement up to it, newest first, each line with the running balance.' })
  @ApiQuery({ name: 'at', required: false, description: 'ISO-8601 instant' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  async balanceExplained(@Param('id') id: string, @Query() q: Record<string, unknown>): Promise<BalanceExplained> {
    const accountId = checkAccountId(id);
    await this.history.streams(accountId); // 404 for an unknown account
    return explainBalance(this.ledger, accountId, atOf(q), { limit: queryInt(q.limit, 'limit'), cursor: queryString(q.cursor, 'cursor', 20) });
  }
}
