import { Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AccountsService } from '../../accounts/accounts.service';
import { now } from '../../platform/clock';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { SESSION_COOKIE } from '../../platform/access/session-cookie';
import { EligibilityStep, SessionGuard } from '../../platform/access/session.guard';
import { NoContentResponse, OkResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { z } from 'zod';
import { EligibilityBody, EligibilityStatus } from './legal.schemas';
import { PolicyVersionsService } from '../policy-versions.service';
import { AccountEligibilityService } from '../../accounts/eligibility/account-eligibility.service';

/**
 * The step a first Google/Telegram sign-in lands on (issue 22): the account exists but every other
 * route answers 403 eligibility_pending until the person confirms age and terms here.
 */
@ApiTags('legal')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@UseGuards(SessionGuard)
@Controller('me/eligibility')
export class EligibilityController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly eligibility: AccountEligibilityService,
    private readonly policies: PolicyVersionsService,
  ) {}

  @Get()
  @EligibilityStep()
  @ApiOperation({ summary: 'Whether age and terms are still to confirm, and the versions in force to accept.' })
  @OkResponse(EligibilityStatus)
  async status(@CurrentPrincipal() principal: SessionPrincipal): Promise<z.infer<typeof EligibilityStatus>> {
    const state = await this.accounts.state(principal.accountId);
    const inForce = await this.policies.inForce(now());
    return { status: state.eligibility, termsVersion: inForce.terms, privacyVersion: inForce.privacy, termsSeen: state.termsSeen, privacySeen: state.privacySeen };
  }

  @Post()
  @HttpCode(204)
  @EligibilityStep()
  @ApiOperation({ summary: 'Confirm being 18 or older and accept the terms and privacy policy in force (by version). A no-op once confirmed.' })
  @NoContentResponse()
  @ApiResponse({ status: 400, description: 'eligibility_required (the message names what is missing); terms_version_not_in_force / privacy_version_not_in_force.' })
  async confirm(@CurrentPrincipal() principal: SessionPrincipal, @ValidBody(EligibilityBody) eligibility: z.infer<typeof EligibilityBody>, @Req() req: Request): Promise<void> {
    await this.eligibility.attestEligibility(principal.accountId, eligibility, commandContext(principal.accountId, req));
  }
}
