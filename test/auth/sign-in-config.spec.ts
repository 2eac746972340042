import { ConfigError, loadConfig } from '../../src/platform/config/config';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

const PRODUCTION = {
  NODE_ENV: 'production',
  APP_SECRET: 'a-production-secret-of-at-least-32-chars',
  PUBLIC_URL: 'https://api.tollgate.dev',
  SMTP_URL: 'smtp://relay.tollgate.dev:587',
};

describe('sign-in configuration', () => {
  it('has session and throttle defaults, and Google and Telegram off, with no variables', () => {
    expect(loadConfig({})).toMatchObject({
      sessionAccessTtlSeconds: 900,
      sessionRefreshTtlSeconds: 2_592_000,
      loginFailureWindowSeconds: 900,
      loginMaxFailuresPerAccount: 5,
      loginMaxFailuresPerIp: 30,
      google: null,
      telegramBotToken: null,
      telegramAuthMaxAgeSeconds: 86_400,
      appUrl: null,
      trustProxy: 0,
    });
  });

  it('needs a Google client id, secret and callback together; endpoints default to Google', () => {
    expect(problems({ GOOGLE_CLIENT_ID: 'id' })).toEqual([
      'GOOGLE_CLIENT_SECRET is required when GOOGLE_CLIENT_ID is set',
      'GOOGLE_CALLBACK_URL is required when GOOGLE_CLIENT_ID is set',
    ]);
    expect(problems({ GOOGLE_CLIENT_SECRET: 's' })).toEqual(['GOOGLE_CLIENT_SECRET is set but GOOGLE_CLIENT_ID is not']);
    const config = loadConfig({ GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 's', GOOGLE_CALLBACK_URL: 'http://localhost:3000/auth/google/callback' });
    expect(config.google).toEqual({
      clientId: 'id',
      clientSecret: 's',
      callbackUrl: 'http://localhost:3000/auth/google/callback',
      authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
      tokenUrl: 'https://oauth2.googleapis.com/token',
      userInfoUrl: 'https://openidconnect.googleapis.com/v1/userinfo',
    });
  });

  it('in production: https only for the callback and APP_URL, and still no default secrets (features simply off)', () => {
    expect(loadConfig(PRODUCTION)).toMatchObject({ google: null, telegramBotToken: null });
    expect(
      problems({ ...PRODUCTION, GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 's', GOOGLE_CALLBACK_URL: 'http://tollgate.dev/cb', APP_URL: 'http://tollgate.dev' }).sort(),
    ).toEqual(['APP_URL must use https: (got "http:")', 'GOOGLE_CALLBACK_URL must use https: (got "http:")']);
  });

  it('checks the Telegram token shape, TTL ordering, limits and TRUST_PROXY', () => {
    expect(problems({ TELEGRAM_BOT_TOKEN: 'nope' })).toEqual(['TELEGRAM_BOT_TOKEN does not look like a bot token from @BotFather (<id>:<secret>)']);
    expect(loadConfig({ TELEGRAM_BOT_TOKEN: '7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0' }).telegramBotToken).toBe('7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0');
    expect(problems({ SESSION_ACCESS_TTL_SECONDS: '3600', SESSION_REFRESH_TTL_SECONDS: '600' })).toEqual([
      'SESSION_REFRESH_TTL_SECONDS must be longer than SESSION_ACCESS_TTL_SECONDS',
    ]);
    expect(problems({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '0' })).toHaveLength(1);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback, 10.0.0.0/8');
    expect(problems({ TRUST_PROXY: 'true' })).toHaveLength(1);
  });
});
