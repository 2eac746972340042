import { Body, Controller, Get, HttpCode, Param, Post, Put, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { Roles } from '../../auth/roles.decorator';
import { invalid } from '../../common/domain-error';
import { JsonBody, objectBody, optionalString, requiredString } from '../../common/request-body';
import { parseMicroUsdString } from '../../pricing/usd';
import { UpstreamsService, UpstreamView } from '../upstreams.service';

function amount(body: JsonBody, field: string, required: boolean): bigint | null {
  const value = body[field];
  if ((value === undefined || value === null) && !required) return null;
  const parsed = parseMicroUsdString(value);
  if (parsed === null) throw invalid('invalid_body', `${field} must be a string of digits (micro-USD).`);
  return parsed;
}

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
    return this.upstreams.register({ name: requiredString(body, 'name', 1, 100), baseUrl: requiredString(body, 'baseUrl', 1, 500), apiKey: requiredString(body, 'apiKey', 1, 1_000), models: body.models }, commandContext(principal.accountId, req));
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
  cost(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') id: string, @Body() raw: unknown, @Req() req: Request): Promise<UpstreamView> {
    const body = objectBody(raw, ['model', 'inputMicroUsdPerMTok', 'outputMicroUsdPerMTok', 'perImageMicroUsd', 'effectiveAt']);
    return this.upstreams.setCost(
      id,
      {
        model: requiredString(body, 'model', 1, 128),
        inputMicroUsdPerMTok: amount(body, 'inputMicroUsdPerMTok', true) as bigint,
        outputMicroUsdPerMTok: amount(body, 'outputMicroUsdPerMTok', true) as bigint,
        perImageMicroUsd: amount(body, 'perImageMicroUsd', false),
        effectiveAt: optionalString(body, 'effectiveAt', 1, 40) ?? null,
      },
      commandContext(principal.accountId, req),
    );
  }

  @Post(':id/retire')
  @HttpCode(204)
  @ApiNoContentResponse()
  async retire(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') id: string, @Req() req: Request): Promise<void> {
    await this.upstreams.retire(id, commandContext(principal.accountId, req));
  }
}
