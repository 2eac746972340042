import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, SessionPrincipal } from '../auth/principal';
import { SESSION_COOKIE } from '../auth/session.cookies';
import { SessionGuard } from '../auth/session.guard';
import { DEVELOPER_GROUPINGS, DeveloperDashboardService, DeveloperUsageView } from './developer-dashboard.service';
import { parseGroupBy, parsePeriod } from './period';

export const PERIOD_QUERY_DOC = {
  from: { name: 'from', required: false, description: 'First UTC day, YYYY-MM-DD (default: 29 days before `to`).' },
  to: { name: 'to', required: false, description: 'Last UTC day, included, YYYY-MM-DD (default: today). At most 366 days in all.' },
};

/** The signed-in developer's usage and money dashboard. */
@ApiTags('dashboards')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@ApiResponse({ status: 400, description: 'invalid_period or invalid_group_by, with a message saying what is accepted.' })
@ApiResponse({ status: 401, description: 'Not signed in, or the session ended.' })
@UseGuards(SessionGuard)
@Controller('me')
export class MeDashboardController {
  constructor(private readonly dashboard: DeveloperDashboardService) {}

  @Get('usage')
  @ApiOperation({ summary: 'Usage per day, model or API key over a period: requests, tokens, images, spend, latency p50/p95 (from histograms), error rate; with totals.' })
  @ApiQuery(PERIOD_QUERY_DOC.from)
  @ApiQuery(PERIOD_QUERY_DOC.to)
  @ApiQuery({ name: 'groupBy', required: false, enum: DEVELOPER_GROUPINGS, description: 'default day' })
  @ApiOkResponse({ description: '{ period, groupBy, groups[], truncated, totals }' })
  usage(@CurrentPrincipal() principal: SessionPrincipal, @Query() query: Record<string, unknown>): Promise<DeveloperUsageView> {
    const period = parsePeriod(query, new Date());
    return this.dashboard.usageView(principal.accountId, period, parseGroupBy(query.groupBy, DEVELOPER_GROUPINGS, 'day'));
  }

  @Get('dashboard')
  @ApiOperation({ summary: 'Balance now, spend and top-ups (purchases, grants) in the period, and how long the available credits last at the period’s average daily spend.' })
  @ApiQuery(PERIOD_QUERY_DOC.from)
  @ApiQuery(PERIOD_QUERY_DOC.to)
  overview(@CurrentPrincipal() principal: SessionPrincipal, @Query() query: Record<string, unknown>) {
    return this.dashboard.dashboard(principal.accountId, parsePeriod(query, new Date()));
  }
}
