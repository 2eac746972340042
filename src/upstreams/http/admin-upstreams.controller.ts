import { Body, Controller, Get, HttpCode, Param, Post, Put, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { Roles } from '../../auth/roles.decorator';
import { objectBody, requiredString } from '../../platform/http/request-body';
import { ValidBody } from '../../platform/http/schema/valid';
import { PriceVersionBody, priceVersionOf } from '../../pricing/price.schemas';
import { UpstreamsService, UpstreamView } from '../upstreams.service';

/**
 * Upstream API vendors (issue 20). Admin only; every write is an event with the admin as actor
 * (and a StaffActionRecorded, which keeps route ids, never bodies). The API key goes in and never
 * comes out: no answer, event, log line or error carries it.
 */
@ApiTags('admin')
@RoleRoutes(['admin'], 'Lacks the role.')
@Controller('admin/upstreams')
export class AdminUpstreamsController {
  constructor(private readonly upstreams: UpstreamsService) {}

  @Get()
  @Roles('admin', 'finance')
  list(): Promise<UpstreamView[]> {
    return this.upstreams.list();
  }

  @Get(':id')
  @Roles('admin', 'finance')
  get(@Param('id') id: string): Promise<UpstreamView> {
    return this.upstreams.get(id);
  }

  @Post()
  @ApiOperation({ summary: 'Register an upstream { name, baseUrl, apiKey, models: [{id, vendorModel?}] }. The key is sealed and never shown again.' })
  register(@CurrentPrincipal() principal: SessionPrincipal, @Body() raw: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<UpstreamView> {
    const body = objectBody(raw, ['name', 'baseUrl', 'apiKey', 'models']);
    res.setHeader('Cache-Control', 'no-store');
    return this.upstreams.register(
      { name: requiredString(body, 'name', 1, 100), baseUrl: requiredString(body, 'baseUrl', 1, 500), apiKey: requiredString(body, 'apiKey', 1, 1_000), models: body.models },
      commandContext(principal.accountId, req),
    );
  }

  @Post(':id/key')
  @ApiOperation({ summary: 'Rotate the vendor API key { apiKey }: the old one is deleted and no longer sent.' })
  rotate(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') id: string, @Body() raw: unknown, @Req() req: Request): Promise<UpstreamView> {
    const body = objectBody(raw, ['apiKey']);
    return this.upstreams.rotateKey(id, requiredString(body, 'apiKey', 1, 1_000), commandContext(principal.accountId, req));
  }

  @Put(':id/models')
  @ApiOperation({ summary: 'Replace the models it serves { models: [{id, vendorModel?}] }.' })
  models(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') id: string, @Body() raw: unknown, @Req() req: Request): Promise<UpstreamView> {
    const body = objectBody(raw, ['models']);
    return this.upstreams.updateModels(id, body.models, commandContext(principal.accountId, req));
  }

  @Post(':id/costs')
  @ApiOperation({ summary: "A new version of the vendor's cost of a model { model, inputMicroUsdPerMTok, outputMicroUsdPerMTok, perImageMicroUsd?, effectiveAt? }." })
  cost(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') id: string,
    @ValidBody(PriceVersionBody) body: z.infer<typeof PriceVersionBody>,
    @Req() req: Request,
  ): Promise<UpstreamView> {
    return this.upstreams.setCost(id, priceVersionOf(body), commandContext(principal.accountId, req));
  }

  @Post(':id/retire')
  @HttpCode(204)
  @ApiNoContentResponse()
  async retire(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') id: string, @Req() req: Request): Promise<void> {
    await this.upstreams.retire(id, commandContext(principal.accountId, req));
  }
}
