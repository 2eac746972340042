import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, SessionPrincipal } from '../auth/principal';
import { RoleRoutes } from '../auth/role-routes.decorator';
import { PERIOD_QUERY_DOC } from './me-dashboard.controller';
import { parseGroupBy, parsePeriod } from './period';
import { PROVIDER_GROUPINGS, ProviderEarningsService } from './provider-earnings.service';

/** A provider's earnings from their own nodes only. */
@ApiTags('provider')
@ApiResponse({ status: 400, description: 'invalid_period or invalid_group_by.' })
@RoleRoutes(['provider'], 'Not a provider (providers join by invite).')
@Controller('provider')
export class ProviderEarningsController {
  constructor(private readonly earnings: ProviderEarningsService) {}

  @Get('earnings')
  @ApiOperation({ summary: 'Earnings (the provider share of each charge) per day or per node, with requests, tokens, latency p50/p95 and error rate, and totals.' })
  @ApiQuery(PERIOD_QUERY_DOC.from)
  @ApiQuery(PERIOD_QUERY_DOC.to)
  @ApiQuery({ name: 'groupBy', required: false, enum: PROVIDER_GROUPINGS, description: 'default day' })
  @ApiOkResponse({ description: '{ period, groupBy, groups[], truncated, totals }' })
  view(@CurrentPrincipal() principal: SessionPrincipal, @Query() query: Record<string, unknown>) {
    return this.earnings.earnings(principal.accountId, parsePeriod(query, new Date()), parseGroupBy(query.groupBy, PROVIDER_GROUPINGS, 'day'));
  }
}
