import { Controller, Get, Param } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { checkAccountId } from '../accounts/account-id';
import { RoleRoutes } from '../platform/access/role-routes.decorator';
import { OkResponse } from '../platform/http/schema/responses';
import { ValidQuery } from '../platform/http/schema/valid';
import { AccountHistory } from './account-history';
import { explainBalance } from './balance-explained';
import { LedgerQueries } from '../ledger/ledger.queries';
import { AccountStateView, BalanceExplainedQuery, BalanceExplainedView, StateQuery, TimelineQuery, TimelineView } from './support.schemas';

/**
 * Support's replay of an account (support and admins): its events across all its streams
 * (metadata only), its state at any instant, and why its balance is what it is. Every look-up
 * is itself in the audit log (the staff audit interceptor records it with the caller).
 */
@ApiTags('support')
@ApiResponse({ status: 400, description: 'invalid_query (a time, or at in the future), invalid_limit or invalid_cursor.' })
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
  @OkResponse(TimelineView)
  timeline(@Param('id') id: string, @ValidQuery(TimelineQuery) q: z.infer<typeof TimelineQuery>): Promise<z.infer<typeof TimelineView>> {
    return this.history.timeline(checkAccountId(id), q);
  }

  @Get('state')
  @ApiOperation({ summary: "The account's state at an instant (default now), folded from its events with the write side's own evolve functions." })
  @OkResponse(AccountStateView)
  state(@Param('id') id: string, @ValidQuery(StateQuery) q: z.infer<typeof StateQuery>): Promise<z.infer<typeof AccountStateView>> {
    return this.history.stateAt(checkAccountId(id), q.at ?? new Date());
  }

  @Get('balance-explained')
  @ApiOperation({ summary: 'Why the balance is what it is at an instant: the statement up to it, newest first, each line with the running balance.' })
  @OkResponse(BalanceExplainedView)
  async balanceExplained(@Param('id') id: string, @ValidQuery(BalanceExplainedQuery) q: z.infer<typeof BalanceExplainedQuery>): Promise<z.infer<typeof BalanceExplainedView>> {
    const accountId = checkAccountId(id);
    await this.history.streams(accountId); // 404 for an unknown account
    return explainBalance(this.ledger, accountId, q.at ?? new Date(), { limit: q.limit, cursor: q.cursor });
  }
}
