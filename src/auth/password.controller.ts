import { Controller, Get, Header, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { openApiSchema } from '../platform/http/schema/json-schema';
import { AcceptedResponse, CreatedResponse, HtmlResponse, OkResponse } from '../platform/http/schema/responses';
import { ValidBody, ValidQuery } from '../platform/http/schema/valid';
import { CheckYourEmail, ConfirmPageQuery, ConfirmTokenBody, LoginBody, RegisterBody, SessionResponse } from './auth.schemas';
import { confirmPage, SIGN_UP_PAGE } from './email-proof/confirm-page';
import { SignUpProof } from './email-proof/sign-up-proof';
import { clientInfo } from './client-info';
import { SignedInAccount, SignInResult } from './principal';
import { sendSession } from './session.response';
import { PasswordSignInGuard } from './sign-in.guard';
import { SignInService } from './sign-in.service';

@ApiTags('sign-in')
@Controller('auth')
export class PasswordController {
  constructor(
    private readonly proof: SignUpProof,
    private readonly signIn: SignInService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('register')
  @HttpCode(202)
  @ApiOperation({ summary: 'Start a developer account with email and password: a link to confirm the email is mailed; the account exists once it is followed.' })
  @AcceptedResponse(CheckYourEmail, 'The same answer whether or not the address already has an account (its owner is mailed a notice instead).')
  @ApiResponse({
    status: 400,
    description:
      'Bad email, password length or body; eligibility_required (over18, termsVersion or privacyVersion missing: the message names which); terms_version_not_in_force / privacy_version_not_in_force.',
  })
  @ApiResponse({ status: 429, description: 'Too many sign-up mails to this address in the last hour.' })
  async register(@ValidBody(RegisterBody) body: z.infer<typeof RegisterBody>): Promise<z.infer<typeof CheckYourEmail>> {
    const { email, password, displayName, eligibility } = body;
    await this.proof.start({ email, password, displayName: displayName ?? null, eligibility });
    return { status: 'check_your_email', message: 'If this address can be used, a link to confirm it is on its way. Follow it to create the account.' };
  }

  /** Where the mailed link lands: a page with one button, because mail scanners follow links (a GET must change nothing). */
  @Get('register/confirm')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  @Header('referrer-policy', 'no-referrer')
  @ApiOperation({ summary: 'The page the sign-up link opens: a button that confirms the email (POST).' })
  @HtmlResponse('An HTML page with a form that posts the token.')
  confirmPage(@ValidQuery(ConfirmPageQuery) query: z.infer<typeof ConfirmPageQuery>): string {
    return confirmPage(SIGN_UP_PAGE, (query.token ?? '').slice(0, 2_000));
  }

  @Post('register/confirm')
  @ApiOperation({ summary: "Confirm the email of a sign-up (the mailed link's token): creates the account and signs in." })
  @CreatedResponse(SessionResponse, 'Account created and signed in; tg_session and tg_refresh cookies set (JSON body); the form gets an HTML page.')
  @ApiResponse({ status: 400, description: 'The link is forged (sign_up_link_invalid), expired (sign_up_link_expired) or was used (sign_up_link_used).' })
  @ApiResponse({ status: 409, description: 'The address got an account meanwhile (e.g. through Google).' })
  async confirm(
    @ValidBody(ConfirmTokenBody) body: z.infer<typeof ConfirmTokenBody>,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SessionResponse | string> {
    const { accountId } = await this.proof.confirm(body.token);
    const session = await this.signIn.complete({ accountId, method: 'password', created: true, emailProven: true }, clientInfo(req));
    const answer = sendSession(res, session, this.config, true);
    // The confirmation page's form (urlencoded) gets a page back; API clients get JSON.
    if (!req.is('application/json')) {
      res.type('html');
      return confirmPage(SIGN_UP_PAGE, null, this.config.appUrl);
    }
    return answer;
  }

  @Post('login')
  @HttpCode(200)
  @UseGuards(PasswordSignInGuard)
  @ApiOperation({ summary: 'Sign in with email and password.' })
  // The strategy checks the body with LoginBody (a guard runs before pipes); this documents it.
  @ApiBody({ schema: openApiSchema(LoginBody, 'input') })
  @OkResponse(SessionResponse, 'Signed in; tg_session and tg_refresh cookies set.')
  @ApiResponse({ status: 401, description: 'Wrong email or password (the same answer for both).' })
  @ApiResponse({ status: 403, description: 'The account is suspended.' })
  @ApiResponse({ status: 429, description: 'Too many failures for this account or from this IP; see Retry-After.' })
  async login(@SignedInAccount() result: SignInResult, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SessionResponse> {
    return sendSession(res, await this.signIn.complete(result, clientInfo(req)), this.config);
  }
}
