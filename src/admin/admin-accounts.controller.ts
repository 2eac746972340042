import { Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { AccountsService } from '../accounts/accounts.service';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { commandContext } from '../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../platform/access/principal';
import { RoleRoutes } from '../platform/access/role-routes.decorator';
import { Roles } from '../platform/access/roles.decorator';
import { NoContentResponse, OkResponse } from '../platform/http/schema/responses';
import { ValidBody } from '../platform/http/schema/valid';
import { AccountView } from '../accounts/accounts.schemas';
import { checkAccountId } from '../accounts/account-id';
import { AdminAccountsService, checkRole } from './admin-accounts.service';
import { GrantRoleBody, SuspendBody } from './admin-accounts.schemas';
import { AccountRolesService } from '../accounts/roles/account-roles.service';

/**
 * Staff actions on any account. Admins only, except reads, which finance and support also need.
 * Every write passes the admin's own account id as the actor: the events are the audit trail (P11).
 */
@ApiTags('accounts')
@ApiNotFoundResponse({ description: 'No such account (or key on that account).' })
@RoleRoutes(['admin'], 'The caller lacks the role (checked against current roles), or is suspended.')
@Controller('admin/accounts/:id')
export class AdminAccountsController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly roles: AccountRolesService,
    private readonly keys: ApiKeysService,
    private readonly admin: AdminAccountsService,
  ) {}

  @Get()
  @Roles('admin', 'finance', 'support')
  @ApiOperation({ summary: 'An account: profile, roles, status (admin, finance, support).' })
  @OkResponse(AccountView)
  view(@Param('id') accountId: string): Promise<z.infer<typeof AccountView>> {
    return this.admin.view(accountId);
  }

  @Post('roles')
  @HttpCode(204)
  @ApiOperation({ summary: 'Grant a role (provider only through an invite).' })
  @NoContentResponse()
  @ApiResponse({ status: 400, description: 'An unknown role (unknown_role), or a bad body (invalid_body).' })
  @ApiResponse({ status: 403, description: 'Not an admin; or provider, which is granted only through an invite (provider_invite_only).' })
  async grantRole(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') accountId: string,
    @ValidBody(GrantRoleBody) body: z.infer<typeof GrantRoleBody>,
    @Req() req: Request,
  ): Promise<void> {
    await this.roles.grantRole(checkAccountId(accountId), body.role, commandContext(principal.accountId, req));
  }

  @Delete('roles/:role')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a role; effective on the holder’s next request.' })
  @NoContentResponse()
  @ApiResponse({ status: 400, description: 'An unknown role (unknown_role), or developer (every account keeps it: developer_role_permanent).' })
  async revokeRole(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') accountId: string, @Param('role') role: string, @Req() req: Request): Promise<void> {
    await this.roles.revokeRole(checkAccountId(accountId), checkRole(role), commandContext(principal.accountId, req));
  }

  @Post('suspend')
  @HttpCode(204)
  @ApiOperation({ summary: 'Suspend: sign-in, sessions and API keys are refused at once.' })
  @NoContentResponse()
  @ApiResponse({ status: 400, description: 'A missing or too long reason (invalid_body).' })
  async suspend(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('id') accountId: string,
    @ValidBody(SuspendBody) body: z.infer<typeof SuspendBody>,
    @Req() req: Request,
  ): Promise<void> {
    await this.accounts.suspend(checkAccountId(accountId), body.reason, commandContext(principal.accountId, req));
  }

  @Post('reinstate')
  @HttpCode(204)
  @ApiOperation({ summary: 'Lift a suspension.' })
  @NoContentResponse()
  async reinstate(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') accountId: string, @Req() req: Request): Promise<void> {
    await this.accounts.reinstate(checkAccountId(accountId), commandContext(principal.accountId, req));
  }

  @Post('keys/:keyId/revoke')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke one of this account's keys." })
  @NoContentResponse()
  async revokeKey(@CurrentPrincipal() principal: SessionPrincipal, @Param('id') accountId: string, @Param('keyId') keyId: string, @Req() req: Request): Promise<void> {
    // The path's account is the owner check: a key of another account is "not found" here too.
    await this.keys.revoke(checkAccountId(accountId), keyId, commandContext(principal.accountId, req));
  }
}
