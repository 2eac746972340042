import { Controller, Get, Patch, Put, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { commandContext } from '../../platform/access/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../platform/access/principal';
import { SESSION_COOKIE } from '../../platform/access/session-cookie';
import { SessionGuard } from '../../platform/access/session.guard';
import { OkResponse } from '../../platform/http/schema/responses';
import { ValidBody } from '../../platform/http/schema/valid';
import { parseUsd } from '../../platform/money';
import { MailCategory } from '../mail/mail-categories';
import { ChangePreferences, PreferencesView } from './preferences.schemas';
import { PreferencesService } from './preferences.service';

/** The service's change from the checked body: dollars as text become micro-USD (invalid_amount names a bad one). */
function changeOf(body: z.infer<typeof ChangePreferences>): { categories: Partial<Record<MailCategory, boolean>>; lowBalanceThresholdMicroUsd?: bigint | null } {
  const threshold = body.lowBalanceThresholdUsd;
  return {
    categories: body.categories ?? {},
    ...(threshold === undefined ? {} : { lowBalanceThresholdMicroUsd: threshold === null ? null : parseUsd(threshold, 'lowBalanceThresholdUsd') }),
  };
}

/** The signed-in person's mail preferences (issue 16, item 3). */
@ApiTags('notifications')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Not signed in, or the session ended.' })
@UseGuards(SessionGuard)
@Controller('me/notifications')
export class PreferencesController {
  constructor(private readonly preferences: PreferencesService) {}

  @Get()
  @ApiOperation({ summary: 'Mail categories (essential ones always on), marketing consent and its time, the low-balance threshold.' })
  @OkResponse(PreferencesView)
  view(@CurrentPrincipal() principal: SessionPrincipal): Promise<PreferencesView> {
    return this.preferences.view(principal.accountId);
  }

  @Put()
  @ApiOperation({ summary: 'Change preferences (same as PATCH: only the fields sent change). Answers the new preferences.' })
  @OkResponse(PreferencesView)
  @ApiResponse({ status: 400, description: 'An essential category turned off (essential_category), an unknown category (invalid_body), a bad threshold (invalid_amount).' })
  put(@CurrentPrincipal() principal: SessionPrincipal, @ValidBody(ChangePreferences) body: z.infer<typeof ChangePreferences>, @Req() req: Request): Promise<PreferencesView> {
    return this.preferences.change(principal.accountId, changeOf(body), commandContext(principal.accountId, req));
  }

  @Patch()
  @ApiOperation({
    summary: 'Change preferences: optional categories on/off (marketing on = explicit consent, recorded with its time), lowBalanceThresholdUsd ("5.00", or null for none).',
  })
  @OkResponse(PreferencesView)
  @ApiResponse({ status: 400, description: 'An essential category turned off (essential_category), an unknown category (invalid_body), a bad threshold (invalid_amount).' })
  patch(@CurrentPrincipal() principal: SessionPrincipal, @ValidBody(ChangePreferences) body: z.infer<typeof ChangePreferences>, @Req() req: Request): Promise<PreferencesView> {
    return this.preferences.change(principal.accountId, changeOf(body), commandContext(principal.accountId, req));
  }
}
