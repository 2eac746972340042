import { Body, Controller, Get, Header, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { commandContext } from '../../platform/access/command-context';
import { invalid } from '../../platform/errors/domain-error';
import { openApiSchema } from '../../platform/http/schema/json-schema';
import { HtmlResponse } from '../../platform/http/schema/responses';
import { ValidQuery } from '../../platform/http/schema/valid';
import { SECRETS, Secrets } from '../../platform/security/secrets';
import { CATEGORY_LABELS } from './mail-consent';
import { PreferencesService } from './preferences.service';
import { unsubscribePage } from './unsubscribe-page';
import { UnsubscribeTokens } from './unsubscribe-token';
import { OneClickBody, UnsubscribeQuery } from './unsubscribe.schemas';

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
  @HtmlResponse('An HTML page with a button that posts the token.')
  @ApiResponse({ status: 403, description: 'A missing, forged or altered link (unsubscribe_link_invalid).' })
  page(@ValidQuery(UnsubscribeQuery) query: z.infer<typeof UnsubscribeQuery>): string {
    const claims = this.tokens.verify(query.token);
    return unsubscribePage(CATEGORY_LABELS[claims.category], query.token as string);
  }

  @Post()
  @HttpCode(200)
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'One-click unsubscribe: ?token=… with the form body List-Unsubscribe=One-Click. No sign-in; idempotent.' })
  @ApiConsumes('application/x-www-form-urlencoded', 'multipart/form-data')
  @ApiBody({ schema: openApiSchema(OneClickBody, 'input') })
  @HtmlResponse('An HTML page saying the category is off.')
  @ApiResponse({ status: 400, description: 'The body is not List-Unsubscribe=One-Click (one_click_body_required).' })
  @ApiResponse({ status: 403, description: 'A missing, forged or altered link (unsubscribe_link_invalid).' })
  async unsubscribe(@ValidQuery(UnsubscribeQuery) query: z.infer<typeof UnsubscribeQuery>, @Body() body: unknown, @Req() req: Request): Promise<string> {
    const claims = this.tokens.verify(query.token);
    // RFC 8058 allows a multipart body, which is not parsed here: the signed token is the authority either way.
    const oneClick = req.is('multipart/form-data') || OneClickBody.safeParse(body).success;
    if (!oneClick) throw invalid('one_click_body_required', 'List-Unsubscribe: the body must be List-Unsubscribe=One-Click (application/x-www-form-urlencoded).');
    await this.preferences.unsubscribe(claims.accountId, claims.category, commandContext(claims.accountId, req));
    return unsubscribePage(CATEGORY_LABELS[claims.category], null);
  }
}
