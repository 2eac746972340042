import { Body, Controller, Get, Patch, Put, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { commandContext } from '../../auth/command-context';
import { CurrentPrincipal, SessionPrincipal } from '../../auth/principal';
import { SESSION_COOKIE } from '../../auth/session.cookies';
import { SessionGuard } from '../../auth/session.guard';
import { invalid } from '../../common/domain-error';
import { objectBody, optionalObject, optionalString } from '../../common/request-body';
import { parseUsd } from '../../ledger/money';
import { ALL_CATEGORIES, MailCategory } from '../mail/mail-categories';
import { ChangePreferencesBody, PreferencesViewDto } from './preferences.dto';
import { PreferencesService, PreferencesView } from './preferences.service';

/** Reads `{ categories?: { low-balance: false, ... }, lowBalanceThresholdUsd?: "5.00" | null }`. */
export function readChange(raw: unknown): { categories: Partial<Record<MailCategory, boolean>>; lowBalanceThresholdMicroUsd?: bigint | null } {
  const body = objectBody(raw, ['categories', 'lowBalanceThresholdUsd']);
  const given = optionalObject(body, 'categories', ALL_CATEGORIES) ?? {};
  const categories: Partial<Record<MailCategory, boolean>> = {};
  for (const [category, on] of Object.entries(given)) {
    if (typeof on !== 'boolean') throw invalid('invalid_body', `categories.${category} must be true or false.`);
    categories[category as MailCategory] = on;
  }
  const threshold = optionalString(body, 'lowBalanceThresholdUsd', 1, 20, true);
  if (Object.keys(categories).length === 0 && threshold === undefined) throw invalid('invalid_body', 'Nothing to change: send categories and/or lowBalanceThresholdUsd.');
  return { categories, ...(threshold === undefined ? {} : { lowBalanceThresholdMicroUsd: threshold === null ? null : parseUsd(threshold, 'lowBalanceThresholdUsd') }) };
}

/** The signed-in person's mail preferences (issue 16, item 3). */
@ApiTags('account')
@ApiCookieAuth(SESSION_COOKIE)
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Not signed in, or the session ended.' })
@UseGuards(SessionGuard)
@Controller('me/notifications')
export class PreferencesController {
  constructor(private readonly preferences: PreferencesService) {}

  @Get()
  @ApiOperation({ summary: 'Mail categories (essential ones always on), marketing consent and its time, the low-balance threshold.' })
  @ApiOkResponse({ type: PreferencesViewDto })
  view(@CurrentPrincipal() principal: SessionPrincipal): Promise<PreferencesView> {
    return this.preferences.view(principal.accountId);
  }

  @Put()
  @ApiOperation({ summary: 'Change preferences (same as PATCH: only the fields sent change). Answers the new preferences.' })
  @ApiBody({ type: ChangePreferencesBody })
  @ApiOkResponse({ type: PreferencesViewDto })
  @ApiResponse({ status: 400, description: 'An essential category turned off (essential_category), an unknown category, a bad threshold (invalid_amount).' })
  put(@CurrentPrincipal() principal: SessionPrincipal, @Body() raw: unknown, @Req() req: Request): Promise<PreferencesView> {
    return this.preferences.change(principal.accountId, readChange(raw), commandContext(principal.accountId, req));
  }

  @Patch()
  @ApiOperation({ summary: 'Change preferences: optional categories on/off (marketing on = explicit consent, recorded with its time), lowBalanceThresholdUsd ("5.00", or null for none).' })
  @ApiBody({ type: ChangePreferencesBody })
  @ApiOkResponse({ type: PreferencesViewDto })
  @ApiResponse({ status: 400, description: 'An essential category turned off (essential_category), an unknown category, a bad threshold (invalid_amount).' })
  patch(@CurrentPrincipal() principal: SessionPrincipal, @Body() raw: unknown, @Req() req: Request): Promise<PreferencesView> {
    return this.preferences.change(principal.accountId, readChange(raw), commandContext(principal.accountId, req));
  }
}
