import { Body, Controller, Get, Header, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ConfirmSignUpBody } from '../auth/auth.dto';
import { confirmPage, EMAIL_CHANGE_PAGE } from '../auth/email-proof/confirm-page';
import { EmailChangeProof } from '../auth/email-proof/email-change-proof';
import { objectBody, requiredString } from '../platform/http/request-body';
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
  @ApiQuery({ name: 'token', required: true })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'An HTML page with a form that posts the token.' })
  page(@Query('token') token: unknown): string {
    return confirmPage(EMAIL_CHANGE_PAGE, typeof token === 'string' ? token.slice(0, 2_000) : '');
  }

  @Post('confirm')
  @HttpCode(200)
  @ApiOperation({ summary: "Confirm a new email address (the mailed link's token): the account signs in with it from now on; the old address is told." })
  @ApiBody({ type: ConfirmSignUpBody })
  @ApiOkResponse({ description: '{ status: "email_changed" }' })
  @ApiResponse({ status: 400, description: 'The link is forged (email_change_link_invalid), expired (email_change_link_expired) or was used (email_change_link_used).' })
  @ApiResponse({ status: 409, description: 'Another account took the address meanwhile (email_taken).' })
  async confirm(@Body() raw: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<{ status: 'email_changed' } | string> {
    const body = objectBody(raw, ['token']);
    await this.proof.confirm(requiredString(body, 'token', 1, 2_000));
    // The page's form (urlencoded) gets a page back; API clients get JSON.
    if (!req.is('application/json')) {
      res.type('html');
      return confirmPage(EMAIL_CHANGE_PAGE, null, this.config.appUrl);
    }
    return { status: 'email_changed' };
  }
}
