import { Controller, Get, Header, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { Request, Response } from 'express';
import { ConfirmPageQuery, ConfirmTokenBody } from '../auth/auth.schemas';
import { confirmPage, EMAIL_CHANGE_PAGE } from '../auth/email-proof/confirm-page';
import { EmailChangeProof } from '../auth/email-proof/email-change-proof';
import { HtmlResponse, OkResponse } from '../platform/http/schema/responses';
import { ValidBody, ValidQuery } from '../platform/http/schema/valid';
import { APP_CONFIG, AppConfig } from '../platform/config/config';

/** Where the link mailed to a new address lands. No session needed: the link proves the address, the request proved the account. */
@ApiTags('account')
@Controller('auth/email')
export class EmailChangeConfirmController {
  constructor(
    private readonly proof: EmailChangeProof,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('confirm')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  @Header('referrer-policy', 'no-referrer')
  @ApiOperation({ summary: 'The page the email change link opens: a button that confirms the new address (POST).' })
  @HtmlResponse('An HTML page with a form that posts the token.')
  page(@ValidQuery(ConfirmPageQuery) query: z.infer<typeof ConfirmPageQuery>): string {
    return confirmPage(EMAIL_CHANGE_PAGE, (query.token ?? '').slice(0, 2_000));
  }

  @Post('confirm')
  @HttpCode(200)
  @ApiOperation({ summary: "Confirm a new email address (the mailed link's token): the account signs in with it from now on; the old address is told." })
  @OkResponse(z.object({ status: z.literal('email_changed') }), 'Changed (JSON body); the form gets an HTML page.')
  @ApiResponse({ status: 400, description: 'The link is forged (email_change_link_invalid), expired (email_change_link_expired) or was used (email_change_link_used).' })
  @ApiResponse({ status: 409, description: 'Another account took the address meanwhile (email_taken).' })
  async confirm(
    @ValidBody(ConfirmTokenBody) body: z.infer<typeof ConfirmTokenBody>,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ status: 'email_changed' } | string> {
    await this.proof.confirm(body.token);
    // The page's form (urlencoded) gets a page back; API clients get JSON.
    if (!req.is('application/json')) {
      res.type('html');
      return confirmPage(EMAIL_CHANGE_PAGE, null, this.config.appUrl);
    }
    return { status: 'email_changed' };
  }
}
