import { Controller, Get, Param, Post, Req } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { now } from '../../platform/clock';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { RoleRoutes } from '../../platform/access/role-routes.decorator';
import { notFound } from '../../platform/errors/domain-error';
import { CreatedResponse, OkResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { PolicyKind, POLICY_KINDS } from '../policy.events';
import { PolicyVersionsService } from '../policy-versions.service';
import { PolicyDocumentView, PublishedPolicyVersion, PublishPolicyVersionBody } from './legal.schemas';

function kindOf(raw: string): PolicyKind {
  if (!(POLICY_KINDS as readonly string[]).includes(raw)) throw notFound('policy_not_found', `No such document; one of ${POLICY_KINDS.join(', ')}.`);
  return raw as PolicyKind;
}

/** Anyone: the version in force, the ones published to come, the earlier ones. */
@ApiTags('legal')
@Controller('legal')
export class LegalController {
  constructor(private readonly policies: PolicyVersionsService) {}

  @Get(':kind')
  @ApiOperation({ summary: 'The privacy policy, terms or provider terms: the version in force (from its effective date), upcoming and earlier versions.' })
  @ApiParam({ name: 'kind', enum: POLICY_KINDS })
  @OkResponse(PolicyDocumentView)
  @ApiNotFoundResponse({ description: 'policy_not_found: no such document.' })
  document(@Param('kind') kind: string): Promise<z.infer<typeof PolicyDocumentView>> {
    return this.policies.document(kindOf(kind), now());
  }
}

/** Publishing is an admin action: audited by the staff-action interceptor, and the event names the admin. */
@ApiTags('legal')
@RoleRoutes(['admin'], 'Lacks the admin role.')
@Controller('admin/legal')
export class AdminLegalController {
  constructor(private readonly policies: PolicyVersionsService) {}

  @Post(':kind/versions')
  @ApiOperation({ summary: 'Publish a new version; every account with an address is mailed a material-change notice (by a worker, once each).' })
  @ApiParam({ name: 'kind', enum: POLICY_KINDS })
  @CreatedResponse(PublishedPolicyVersion, 'The published version.')
  @ApiResponse({ status: 400, description: 'A bad body (invalid_body), version (invalid_version), date (invalid_date), URL (invalid_url), or too little notice.' })
  @ApiResponse({ status: 409, description: 'The version exists, or takes effect before the previous one.' })
  @ApiNotFoundResponse({ description: 'policy_not_found: no such document.' })
  async publish(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('kind') rawKind: string,
    @ValidBody(PublishPolicyVersionBody) body: z.infer<typeof PublishPolicyVersionBody>,
    @Req() req: Request,
  ): Promise<z.infer<typeof PublishedPolicyVersion>> {
    const kind = kindOf(rawKind);
    const input = { version: body.version, effectiveAt: body.effectiveAt.toISOString(), url: body.url, summary: body.summary };
    return { kind, ...(await this.policies.publish(kind, input, commandContext(principal.accountId, req))) };
  }
}
