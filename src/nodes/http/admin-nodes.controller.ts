import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { Roles } from '../../platform/access/roles.decorator';
import { CreatedResponse, NoContentResponse, OkResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { ProviderInvitesService } from '../invites/provider-invites.service';
import { NodesService } from '../nodes.service';
import { InviteProviderBody, NodeList, NodeView, ProviderInvite, SuspendNodeBody } from './nodes.schemas';

const NO_SUCH_NODE = 'node_not_found';

/** Staff actions on nodes and provider invites; every write records the admin as the actor (P11). */
@ApiTags('nodes')
@RoleRoutes(['admin'], 'Lacks the role.')
@Controller('admin')
export class AdminNodesController {
  constructor(
    private readonly nodes: NodesService,
    private readonly invites: ProviderInvitesService,
  ) {}

  @Get('nodes')
  @Roles('admin', 'finance', 'support')
  @ApiOperation({ summary: 'Every node (newest first, at most 500).' })
  @OkResponse(NodeList)
  list(): Promise<z.infer<typeof NodeList>> {
    return this.nodes.list(null);
  }

  @Get('nodes/:id')
  @Roles('admin', 'finance', 'support')
  @OkResponse(NodeView)
  @ApiResponse({ status: 404, description: NO_SUCH_NODE })
  get(@Param('id') nodeId: string): Promise<z.infer<typeof NodeView>> {
    return this.nodes.get(null, nodeId);
  }

  @Post('nodes/:id/approve')
  @HttpCode(204)
  @ApiOperation({ summary: 'Approve a node (or lift a suspension): it may then receive traffic.' })
  @NoContentResponse()
  @ApiResponse({ status: 404, description: NO_SUCH_NODE })
  @ApiResponse({ status: 409, description: 'The node is retired.' })
  async approve(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') nodeId: string, @Req() req: Request): Promise<void> {
    await this.nodes.approve(nodeId, commandContext(principal.accountId, req));
  }

  @Post('nodes/:id/suspend')
  @HttpCode(204)
  @ApiOperation({ summary: 'Suspend a node, with a reason: it gets no more traffic.' })
  @NoContentResponse()
  @ApiResponse({ status: 400, description: 'invalid_body, reason_required' })
  @ApiResponse({ status: 404, description: NO_SUCH_NODE })
  @ApiResponse({ status: 409, description: 'The node is retired.' })
  async suspend(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') nodeId: string,
    @ValidBody(SuspendNodeBody) body: z.infer<typeof SuspendNodeBody>,
    @Req() req: Request,
  ): Promise<void> {
    await this.nodes.suspend(nodeId, body.reason, commandContext(principal.accountId, req));
  }

  @Post('provider-invites')
  @ApiOperation({ summary: 'Invite an email to become a provider. The invite token is in this response only, once: pass it on.' })
  @CreatedResponse(ProviderInvite, 'Issued (no-store).')
  @ApiResponse({ status: 400, description: 'invalid_body, invalid_email' })
  async invite(
    @CurrentPrincipal() principal: SessionPrincipal,
    @ValidBody(InviteProviderBody) body: z.infer<typeof InviteProviderBody>,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<z.infer<typeof ProviderInvite>> {
    const issued = await this.invites.issue(body.email, commandContext(principal.accountId, req));
    res.setHeader('Cache-Control', 'no-store');
    return issued;
  }

  @Post('provider-invites/:id/revoke')
  @HttpCode(204)
  @NoContentResponse()
  @ApiResponse({ status: 404, description: 'invite_not_found' })
  @ApiResponse({ status: 409, description: 'invite_used: already accepted' })
  async revokeInvite(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') inviteId: string, @Req() req: Request): Promise<void> {
    await this.invites.revoke(inviteId, commandContext(principal.accountId, req));
  }
}
