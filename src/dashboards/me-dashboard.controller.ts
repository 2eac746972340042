import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentPrincipal, SessionPrincipal } from '../platform/access/principal';
import { SESSION_COOKIE } from '../platform/access/session-cookie';
import { SessionGuard } from '../platform/access/session.guard';
import { OkResponse } from '../platform/http/schema/responses';
import { ValidQuery } from '../platform/http/schema/valid';
import { DashboardView, PeriodQuery, UsageQuery, UsageView } from './dashboards.schemas';
import { DeveloperDashboardService } from './developer-dashboard.service';
import { parsePeriod } from './period';

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
  @OkResponse(UsageView)
  usage(@CurrentPrincipal() principal: SessionPrincipal, @ValidQuery(UsageQuery) query: z.infer<typeof UsageQuery>): Promise<z.infer<typeof UsageView>> {
    return this.dashboard.usageView(principal.accountId, parsePeriod(query, new Date()), query.groupBy ?? 'day');
  }

  @Get('dashboard')
  @ApiOperation({ summary: 'Balance now, spend and top-ups (purchases, grants) in the period, and how long the available credits last at the period’s average daily spend.' })
  @OkResponse(DashboardView)
  overview(@CurrentPrincipal() principal: SessionPrincipal, @ValidQuery(PeriodQuery) query: z.infer<typeof PeriodQuery>): Promise<z.infer<typeof DashboardView>> {
    return this.dashboard.dashboard(principal.accountId, parsePeriod(query, new Date()));
  }
}
