import { Body, Controller, Get, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { now } from '../../platform/clock';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { RoleRoutes } from '../../auth/role-routes.decorator';
import { parseInstant } from '../../platform/http/dates';
import { notFound } from '../../platform/errors/domain-error';
import { objectBody, requiredString } from '../../platform/http/request-body';
import { POLICY_SUMMARY_MAX, POLICY_URL_MAX } from '../policy.decide';
import { PolicyKind, POLICY_KINDS } from '../policy.events';
import { PolicyDocument, PolicyVersionsService } from '../policy-versions.service';

export class PublishPolicyVersionBody {
  @ApiProperty({ example: '2027-01', pattern: '^[A-Za-z0-9._-]{1,40}$' })
  version!: string;
  @ApiProperty({ format: 'date-time', description: "At least POLICY_NOTICE_DAYS after now, and after the previous version's" })
  effectiveAt!: string;
  @ApiProperty({ example: 'https://example.com/legal/terms/2027-01', maxLength: POLICY_URL_MAX })
  url!: string;
  @ApiProperty({ maxLength: POLICY_SUMMARY_MAX, description: 'What changed: quoted in the notice mailed to every account' })
  summary!: string;
}

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
  @ApiOkResponse({ description: '{ kind, inForce: { version, effectiveAt, url, source }, upcoming: [...], earlier: [...] }' })
  document(@Param('kind') kind: string): Promise<PolicyDocument> {
    return this.policies.document(kindOf(kind), now());
  }
}

/** Publishing is an admin action: audited by the staff-action interceptor, and the event names the admin. */
@ApiTags('admin')
@RoleRoutes(['admin'], 'Lacks the admin role.')
@Controller('admin/legal')
export class AdminLegalController {
  constructor(private readonly policies: PolicyVersionsService) {}

  @Post(':kind/versions')
  @ApiOperation({ summary: 'Publish a new version; every account with an address is mailed a material-change notice (by a worker, once each).' })
  @ApiParam({ name: 'kind', enum: POLICY_KINDS })
  @ApiBody({ type: PublishPolicyVersionBody })
  @ApiCreatedResponse({ description: 'The published version.' })
  async publish(@CurrentPrincipal() principal: SessionPrincipal, @Param('kind') rawKind: string, @Body() raw: unknown, @Req() req: Request) {
    const kind = kindOf(rawKind);
    const body = objectBody(raw, ['version', 'effectiveAt', 'url', 'summary']);
    const version = requiredString(body, 'version', 1, 40);
    const effective = parseInstant(body.effectiveAt, 'effectiveAt');
    const url = requiredString(body, 'url', 1, POLICY_URL_MAX);
    const summary = requiredString(body, 'summary', 1, POLICY_SUMMARY_MAX);
    return { kind, ...(await this.policies.publish(kind, { version, effectiveAt: effective.toISOString(), url, summary }, commandContext(principal.accountId, req))) };
  }
}
