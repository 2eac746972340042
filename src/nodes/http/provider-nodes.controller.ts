import { Body, Controller, Get, HttpCode, Param, Post, Put, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { objectBody } from '../../platform/http/request-body';
import { NodesService, NodeView } from '../nodes.service';
import { readModels, readRegisterNodeBody } from './node-requests';

/**
 * A provider's own nodes. Another provider's node id is answered exactly like a missing one
 * (404, same body), so node ids cannot be probed across tenants.
 */
@ApiTags('provider')
@RoleRoutes(['provider'], 'Not a provider (providers join by invite).')
@Controller('provider/nodes')
export class ProviderNodesController {
  constructor(private readonly nodes: NodesService) {}

  @Get()
  @ApiOperation({ summary: 'My nodes: status, live or not, last heartbeat, requests served, errors.' })
  list(@CurrentPrincipal() principal: SessionPrincipal): Promise<NodeView[]> {
    return this.nodes.list(principal.accountId);
  }

  @Post()
  @ApiOperation({ summary: 'Register a node (pending until an admin approves it). The node token is in this response only, once.' })
  async register(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Body() raw: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ nodeId: string; token: string }> {
    const registered = await this.nodes.register(principal.accountId, readRegisterNodeBody(raw), commandContext(principal.accountId, req));
    res.setHeader('Cache-Control', 'no-store');
    return registered;
  }

  @Get(':id')
  @ApiNotFoundResponse({ description: 'No such node of mine.' })
  get(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') nodeId: string): Promise<NodeView> {
    return this.nodes.get(principal.accountId, nodeId);
  }

  @Put(':id/models')
  @HttpCode(204)
  @ApiOperation({ summary: 'Replace the models the node serves: { models: ["id" | { id, contextLength }] }.' })
  @ApiNoContentResponse()
  async updateModels(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') nodeId: string, @Body() raw: unknown, @Req() req: Request): Promise<void> {
    await this.nodes.updateModels(principal.accountId, nodeId, readModels(objectBody(raw, ['models'])), commandContext(principal.accountId, req));
  }

  @Post(':id/retire')
  @HttpCode(204)
  @ApiOperation({ summary: 'Retire the node for good: it gets no more traffic and its token stops working.' })
  @ApiNoContentResponse()
  async retire(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') nodeId: string, @Req() req: Request): Promise<void> {
    await this.nodes.retire(principal.accountId, nodeId, commandContext(principal.accountId, req));
  }
}
