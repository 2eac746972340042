import { Body, Controller, Get, Header, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { commandContext } from '../../auth/command-context';
import { invalid } from '../../platform/errors/domain-error';
import { SECRETS, Secrets } from '../../platform/security/secrets';
import { CATEGORY_LABELS } from './mail-consent';
import { PreferencesService } from './preferences.service';
import { unsubscribePage } from './unsubscribe-page';
import { UnsubscribeTokens } from './unsubscribe-token';

/**
 * One-click unsubscribe (RFC 8058): the mail's link, without signing in. The signed token is the
 * authority (account + category); the POST turns that category off, and again changes nothing.
 */
@ApiTags('notifications')
@Controller('notifications/unsubscribe')
export class UnsubscribeController {
  private readonly tokens: UnsubscribeTokens;

  constructor(
    private readonly preferences: PreferencesService,
    @Inject(SECRETS) secrets: Secrets,
  ) {
    this.tokens = new UnsubscribeTokens(secrets);
  }

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  @Header('referrer-policy', 'no-referrer')
  @ApiOperation({ summary: "The page a mail's unsubscribe link opens: a button that unsubscribes (POST). Changes nothing itself." })
  @ApiQuery({ name: 'token', required: true })
  @ApiProduces('text/html')
  @ApiResponse({ status: 403, description: 'A forged or altered link (unsubscribe_link_invalid).' })
  page(@Query('token') token: unknown): string {
    const claims = this.tokens.verify(token);
    return unsubscribePage(CATEGORY_LABELS[claims.category], token as string);
  }

  @Post()
  @HttpCode(200)
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'One-click unsubscribe: ?token=… with the form body List-Unsubscribe=One-Click. No sign-in; idempotent.' })
  @ApiQuery({ name: 'token', required: true })
  @ApiOkResponse({ description: 'An HTML page saying the category is off.' })
  @ApiResponse({ status: 400, description: 'The body is not List-Unsubscribe=One-Click (one_click_body_required).' })
  @ApiResponse({ status: 403, description: 'A forged or altered link (unsubscribe_link_invalid).' })
  async unsubscribe(@Query('token') token: unknown, @Body() body: unknown, @Req() req: Request): Promise<string> {
    const claims = this.tokens.verify(token);
    // RFC 8058 allows a multipart body, which is not parsed here: the signed token is the authority either way.
    const oneClick = req.is('multipart/form-data') || (typeof body === 'object' && body !== null && (body as Record<string, unknown>)['List-Unsubscribe'] === 'One-Click');
    if (!oneClick) throw invalid('one_click_body_required', 'List-Unsubscribe: the body must be List-Unsubscribe=One-Click (application/x-www-form-urlencoded).');
    await this.preferences.unsubscribe(claims.accountId, claims.category, commandContext(claims.accountId, req));
    return unsubscribePage(CATEGORY_LABELS[claims.category], null);
  }
}
