import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/roles.decorator';
import { RolesGuard } from '../auth/roles.guard';
import { SESSION_COOKIE } from '../auth/session.cookies';
import { SessionGuard } from '../auth/session.guard';
import { PERIOD_QUERY_DOC } from './me-dashboard.controller';
import { NetworkDashboardService } from './network-dashboard.service';
import { parsePeriod } from './period';

/** The network at a glance, for admins and finance. Read-only. */
@ApiTags('admin')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@ApiResponse({ status: 400, description: 'invalid_period.' })
@ApiResponse({ status: 401, description: 'Not signed in.' })
@ApiResponse({ status: 403, description: 'Admins and finance only.' })
@UseGuards(SessionGuard, RolesGuard)
@Roles('admin', 'finance')
@Controller('admin/network')
export class AdminNetworkController {
  constructor(private readonly network: NetworkDashboardService) {}

  @Get()
  @ApiOperation({ summary: 'Live nodes, requests per minute (last 1/5/60 min), revenue in the period (platform share = spend − provider share) per day and all time, top models, node error rates.' })
  @ApiQuery(PERIOD_QUERY_DOC.from)
  @ApiQuery(PERIOD_QUERY_DOC.to)
  view(@Query() query: Record<string, unknown>) {
    const now = new Date();
    return this.network.view(parsePeriod(query, now), now);
  }
}
