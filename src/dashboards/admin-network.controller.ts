import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RoleRoutes } from '../platform/access/role-routes.decorator';
import { OkResponse } from '../platform/http/schema/responses';
import { ValidQuery } from '../platform/http/schema/valid';
import { NetworkView, PeriodQuery } from './dashboards.schemas';
import { NetworkDashboardService } from './network-dashboard.service';
import { parsePeriod } from './period';

/** The network at a glance, for admins and finance. Read-only. */
@ApiTags('dashboards')
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
  @OkResponse(NetworkView)
  view(@ValidQuery(PeriodQuery) query: z.infer<typeof PeriodQuery>): Promise<z.infer<typeof NetworkView>> {
    const now = new Date();
    return this.network.view(parsePeriod(query, now), now);
  }
}
