import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Profile, Strategy as GoogleOAuthStrategy, StrategyOptions } from 'passport-google-oauth20';
import { AccountsService } from '../accounts/accounts.service';
import { unauthorized } from '../platform/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { GoogleStateStore } from './google-state.store';
import { SignInResult } from './principal';
import { GOOGLE_STRATEGY } from './sign-in.guard';

const GOOGLE_SUBJECT = /^[A-Za-z0-9_-]{1,255}$/;
const FIELD_MAX = 2_000;

/**
 * Google OAuth 2.0 authorization-code flow with state and PKCE (S256). The userinfo endpoint
 * (OpenID Connect) gives `sub` (the stable identity), `email`, `email_verified`, `name`,
 * `picture`. Only a verified email links to an existing password account.
 * Provided only when GOOGLE_CLIENT_ID is configured.
 */
@Injectable()
export class GoogleStrategy extends PassportStrategy(GoogleOAuthStrategy, GOOGLE_STRATEGY) {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    stateStore: GoogleStateStore,
    private readonly accounts: AccountsService,
  ) {
    const google = config.google;
    if (!google) throw new Error('GoogleStrategy needs GOOGLE_CLIENT_ID'); // programmer error: the module provides it only when set
    const options: StrategyOptions & { pkce: boolean } = {
      clientID: google.clientId,
      clientSecret: google.clientSecret,
      callbackURL: google.callbackUrl,
      authorizationURL: google.authUrl,
      tokenURL: google.tokenUrl,
      userProfileURL: google.userInfoUrl,
      scope: ['openid', 'email', 'profile'],
      pkce: true,
      // Our store keeps state in a cookie + Redis; its 5-argument store() is the PKCE form passport-oauth2 expects.
      store: stateStore as unknown as StrategyOptions['store'],
    };
    super(options);
    // The access token goes in a header, never a URL query string (which proxies and servers log).
    (this as unknown as { _oauth2: { useAuthorizationHeaderforGET(use: boolean): void } })._oauth2.useAuthorizationHeaderforGET(true);
  }

  async validate(_accessToken: string, _refreshToken: string | undefined, profile: Profile): Promise<SignInResult> {
    const info = profile._json as unknown as Record<string, unknown>;
    const sub = info.sub;
    if (typeof sub !== 'string' || !GOOGLE_SUBJECT.test(sub)) throw unauthorized('google_sign_in_failed', 'Sign-in failed.');
    const email = text(info.email);
    const { accountId, created } = await this.accounts.signInExternal(
      'google',
      sub,
      {
        email,
        emailVerified: email !== null && (info.email_verified === true || info.email_verified === 'true'),
        displayName: text(info.name)?.slice(0, 100) ?? null,
        picture: text(info.picture),
      },
      'google',
    );
    return { accountId, method: 'google', created };
  }
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= FIELD_MAX ? value : null;
}
