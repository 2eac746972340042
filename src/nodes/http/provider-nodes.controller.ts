import { Controller, Get, HttpCode, Param, Post, Put, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { CreatedResponse, NoContentResponse, OkResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { NodesService } from '../nodes.service';
import { NodeList, NodeView, RegisteredNode, RegisterNodeBody, UpdateNodeModelsBody } from './nodes.schemas';

/**
 * A provider's own nodes. Another provider's node id is answered exactly like a missing one
 * (404, same body), so node ids cannot be probed across tenants.
 */
@ApiTags('nodes')
@RoleRoutes(['provider'], 'Not a provider (providers join by invite).')
@Controller('provider/nodes')
export class ProviderNodesController {
  constructor(private readonly nodes: NodesService) {}

  @Get()
  @ApiOperation({ summary: 'My nodes: status, live or not, last heartbeat, requests served, errors.' })
  @OkResponse(NodeList)
  list(@CurrentPrincipal() principal: SessionPrincipal): Promise<z.infer<typeof NodeList>> {
    return this.nodes.list(principal.accountId);
  }

  @Post()
  @ApiOperation({ summary: 'Register a node (pending until an admin approves it). The node token is in this response only, once.' })
  @CreatedResponse(RegisteredNode, 'Registered, pending approval (no-store).')
  @ApiResponse({ status: 400, description: 'invalid_body, invalid_name, invalid_endpoint, invalid_models, invalid_hardware' })
  async register(
    @CurrentPrincipal() principal: SessionPrincipal,
    @ValidBody(RegisterNodeBody) body: z.infer<typeof RegisterNodeBody>,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<z.infer<typeof RegisteredNode>> {
    const { gpuModel, gpuMemoryGb, region, ...node } = body;
    const hardware = { gpuModel: gpuModel ?? null, gpuMemoryGb: gpuMemoryGb ?? null, region: region ?? null };
    const registered = await this.nodes.register(principal.accountId, { ...node, hardware }, commandContext(principal.accountId, req));
    res.setHeader('Cache-Control', 'no-store');
    return registered;
  }

  @Get(':id')
  @OkResponse(NodeView)
  @ApiResponse({ status: 404, description: 'No such node of mine.' })
  get(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') nodeId: string): Promise<z.infer<typeof NodeView>> {
    return this.nodes.get(principal.accountId, nodeId);
  }

  @Put(':id/models')
  @HttpCode(204)
  @ApiOperation({ summary: 'Replace the models the node serves: { models: ["id" | { id, contextLength }] }.' })
  @NoContentResponse()
  @ApiResponse({ status: 400, description: 'invalid_body, invalid_models' })
  @ApiResponse({ status: 404, description: 'No such node of mine.' })
  @ApiResponse({ status: 409, description: 'node_retired' })
  async updateModels(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') nodeId: string,
    @ValidBody(UpdateNodeModelsBody) body: z.infer<typeof UpdateNodeModelsBody>,
    @Req() req: Request,
  ): Promise<void> {
    await this.nodes.updateModels(principal.accountId, nodeId, body.models, commandContext(principal.accountId, req));
  }

  @Post(':id/retire')
  @HttpCode(204)
  @ApiOperation({ summary: 'Retire the node for good: it gets no more traffic and its token stops working.' })
  @NoContentResponse()
  @ApiResponse({ status: 404, description: 'No such node of mine.' })
  async retire(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') nodeId: string, @Req() req: Request): Promise<void> {
    await this.nodes.retire(principal.accountId, nodeId, commandContext(principal.accountId, req));
  }
}
