import { Controller, Get, HttpCode, Param, Post, Put, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { Roles } from '../../platform/access/roles.decorator';
import { CreatedResponse, NoContentResponse, OkResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { PriceVersionBody, priceVersionOf } from '../../pricing/price.schemas';
import { UpstreamsService } from '../upstreams.service';
import { RegisterUpstreamBody, RotateUpstreamKeyBody, UpdateUpstreamModelsBody, UpstreamList, UpstreamView } from './upstreams.schemas';

const NO_SUCH_UPSTREAM = 'upstream_not_found';
const RETIRED = 'upstream_retired';
type View = z.infer<typeof UpstreamView>;

/**
 * Upstream API vendors (issue 20). Admin only; every write is an event with the admin as actor
 * (and a StaffActionRecorded, which keeps route ids, never bodies). The API key goes in and never
 * comes out: no answer, event, log line or error carries it.
 */
@ApiTags('upstreams')
@RoleRoutes(['admin'], 'Lacks the role.')
@Controller('admin/upstreams')
export class AdminUpstreamsController {
  constructor(private readonly upstreams: UpstreamsService) {}

  @Get()
  @Roles('admin', 'finance')
  @ApiOperation({ summary: 'Every upstream vendor (newest first), with its models and cost versions; never a key.' })
  @OkResponse(UpstreamList)
  list(): Promise<z.infer<typeof UpstreamList>> {
    return this.upstreams.list();
  }

  @Get(':id')
  @Roles('admin', 'finance')
  @OkResponse(UpstreamView)
  @ApiResponse({ status: 404, description: NO_SUCH_UPSTREAM })
  get(@Param('id') id: string): Promise<View> {
    return this.upstreams.get(id);
  }

  @Post()
  @ApiOperation({ summary: 'Register an upstream { name, baseUrl, apiKey, models: [{id, vendorModel?}] }. The key is sealed and never shown again.' })
  @CreatedResponse(UpstreamView, 'Registered (no-store); live once its probe succeeds.')
  @ApiResponse({ status: 400, description: 'invalid_body, invalid_name, invalid_base_url, invalid_api_key, invalid_models, invalid_endpoint, too_many_upstreams' })
  register(
    @CurrentPrincipal() principal: SessionPrincipal,
    @ValidBody(RegisterUpstreamBody) body: z.infer<typeof RegisterUpstreamBody>,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<View> {
    res.setHeader('Cache-Control', 'no-store');
    return this.upstreams.register(body, commandContext(principal.accountId, req));
  }

  @Post(':id/key')
  @ApiOperation({ summary: 'Rotate the vendor API key { apiKey }: the old one is deleted and no longer sent.' })
  @CreatedResponse(UpstreamView, 'Rotated: keyVersion is the new one.')
  @ApiResponse({ status: 400, description: 'invalid_body, invalid_api_key' })
  @ApiResponse({ status: 404, description: NO_SUCH_UPSTREAM })
  @ApiResponse({ status: 409, description: RETIRED })
  rotate(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') id: string,
    @ValidBody(RotateUpstreamKeyBody) body: z.infer<typeof RotateUpstreamKeyBody>,
    @Req() req: Request,
  ): Promise<View> {
    return this.upstreams.rotateKey(id, body.apiKey, commandContext(principal.accountId, req));
  }

  @Put(':id/models')
  @ApiOperation({ summary: 'Replace the models it serves { models: [{id, vendorModel?}] }.' })
  @OkResponse(UpstreamView)
  @ApiResponse({ status: 400, description: 'invalid_body, invalid_models' })
  @ApiResponse({ status: 404, description: NO_SUCH_UPSTREAM })
  @ApiResponse({ status: 409, description: RETIRED })
  models(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') id: string,
    @ValidBody(UpdateUpstreamModelsBody) body: z.infer<typeof UpdateUpstreamModelsBody>,
    @Req() req: Request,
  ): Promise<View> {
    return this.upstreams.updateModels(id, body.models, commandContext(principal.accountId, req));
  }

  @Post(':id/costs')
  @ApiOperation({ summary: "A new version of the vendor's cost of a model { model, inputMicroUsdPerMTok, outputMicroUsdPerMTok, perImageMicroUsd?, effectiveAt? }." })
  @CreatedResponse(UpstreamView, 'The upstream with the new cost version.')
  @ApiResponse({ status: 400, description: 'invalid_body, invalid_model, invalid_cost, invalid_effective_time (not a time, or in the past), too_many_versions' })
  @ApiResponse({ status: 404, description: NO_SUCH_UPSTREAM })
  @ApiResponse({ status: 409, description: RETIRED })
  cost(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') id: string,
    @ValidBody(PriceVersionBody) body: z.infer<typeof PriceVersionBody>,
    @Req() req: Request,
  ): Promise<View> {
    return this.upstreams.setCost(id, priceVersionOf(body), commandContext(principal.accountId, req));
  }

  @Post(':id/retire')
  @HttpCode(204)
  @NoContentResponse()
  @ApiResponse({ status: 404, description: NO_SUCH_UPSTREAM })
  @ApiResponse({ status: 409, description: RETIRED })
  async retire(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') id: string, @Req() req: Request): Promise<void> {
    await this.upstreams.retire(id, commandContext(principal.accountId, req));
  }
}
