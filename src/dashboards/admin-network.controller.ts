import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { RoleRoutes } from '../auth/role-routes.decorator';
import { PERIOD_QUERY_DOC } from './me-dashboard.controller';
import { NetworkDashboardService } from './network-dashboard.service';
import { parsePeriod } from './period';

/** The network at a glance, for admins and finance. Read-only. */
@ApiTags('admin')
@ApiResponse({ status: 400, description: 'invalid_period.' })
@RoleRoutes(['admin', 'finance'], 'Admins and finance only.')
@Controller('admin/network')
export class AdminNetworkController {
  constructor(private readonly network: NetworkDashboardService) {}

  @Get()
  @ApiOperation({
    summary:
      'Live nodes, requests per minute (last 1/5/60 min), revenue in the period (platform share = spend − provider share) per day and all time, top models, node error rates.',
  })
  @ApiQuery(PERIOD_QUERY_DOC.from)
  @ApiQuery(PERIOD_QUERY_DOC.to)
  view(@Query() query: Record<string, unknown>) {
    const now = new Date();
    return this.network.view(parsePeriod(query, now), now);
  }
}
