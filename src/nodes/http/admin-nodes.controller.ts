import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { Roles } from '../../auth/roles.decorator';
import { objectBody, requiredString } from '../../platform/http/request-body';
import { ProviderInvitesService } from '../invites/provider-invites.service';
import { SUSPEND_REASON_MAX } from '../node.decide';
import { NodesService, NodeView } from '../nodes.service';

/** Staff actions on nodes and provider invites; every write records the admin as the actor (P11). */
@ApiTags('admin')
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
  list(): Promise<NodeView[]> {
    return this.nodes.list(null);
  }

  @Get('nodes/:id')
  @Roles('admin', 'finance', 'support')
  get(@Param('id') nodeId: string): Promise<NodeView> {
    return this.nodes.get(null, nodeId);
  }

  @Post('nodes/:id/approve')
  @HttpCode(204)
  @ApiOperation({ summary: 'Approve a node (or lift a suspension): it may then receive traffic.' })
  @ApiNoContentResponse()
  async approve(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') nodeId: string, @Req() req: Request): Promise<void> {
    await this.nodes.approve(nodeId, commandContext(principal.accountId, req));
  }

  @Post('nodes/:id/suspend')
  @HttpCode(204)
  @ApiOperation({ summary: 'Suspend a node, with a reason: it gets no more traffic.' })
  @ApiNoContentResponse()
  async suspend(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') nodeId: string, @Body() raw: unknown, @Req() req: Request): Promise<void> {
    const reason = requiredString(objectBody(raw, ['reason']), 'reason', 1, SUSPEND_REASON_MAX);
    await this.nodes.suspend(nodeId, reason, commandContext(principal.accountId, req));
  }

  @Post('provider-invites')
  @ApiOperation({ summary: 'Invite an email to become a provider. The invite token is in this response only, once: pass it on.' })
  async invite(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Body() raw: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ inviteId: string; token: string; expiresAt: string }> {
    const email = requiredString(objectBody(raw, ['email']), 'email', 3, 320);
    const issued = await this.invites.issue(email, commandContext(principal.accountId, req));
    res.setHeader('Cache-Control', 'no-store');
    return issued;
  }

  @Post('provider-invites/:id/revoke')
  @HttpCode(204)
  @ApiNoContentResponse()
  async revokeInvite(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') inviteId: string, @Req() req: Request): Promise<void> {
    await this.invites.revoke(inviteId, commandContext(principal.accountId, req));
  }
}
