import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentPrincipal, SessionPrincipal } from '../platform/access/principal';
import { RoleRoutes } from '../platform/access/role-routes.decorator';
import { OkResponse } from '../platform/http/schema/responses';
import { ValidQuery } from '../platform/http/schema/valid';
import { EarningsQuery, EarningsView } from './dashboards.schemas';
import { parsePeriod } from './period';
import { ProviderEarningsService } from './provider-earnings.service';

/** A provider's earnings from their own nodes only. */
@ApiTags('dashboards')
@ApiResponse({ status: 400, description: 'invalid_period or invalid_group_by.' })
@RoleRoutes(['provider'], 'Not a provider (providers join by invite).')
@Controller('provider')
export class ProviderEarningsController {
  constructor(private readonly earnings: ProviderEarningsService) {}

  @Get('earnings')
  @ApiOperation({ summary: 'Earnings (the provider share of each charge) per day or per node, with requests, tokens, latency p50/p95 and error rate, and totals.' })
  @OkResponse(EarningsView)
  view(@CurrentPrincipal() principal: SessionPrincipal, @ValidQuery(EarningsQuery) query: z.infer<typeof EarningsQuery>): Promise<z.infer<typeof EarningsView>> {
    return this.earnings.earnings(principal.accountId, parsePeriod(query, new Date()), query.groupBy ?? 'day');
  }
}
