import { INestApplication } from '@nestjs/common';
import { AccountsService } from '../../src/accounts/accounts.service';
import { Role } from '../../src/platform/access/roles';
import { newBrowser } from '../auth/auth-app';
import { Browser } from './browser';
import { AGREED, PROVIDER_TERMS_AGREED } from './eligibility';

export const PASSWORD = 'correct horse battery staple';

export interface SignedIn {
  accountId: string;
  email: string;
  browser: Browser;
}

/**
 * The one sign-in helper: a fresh browser (its own client IP; `userAgent` if given) signed in as
 * `email` with its password (PASSWORD unless given); anything but 200 fails loudly.
 */
export async function signIn(url: string, email: string, options: { password?: string; userAgent?: string } = {}): Promise<Browser> {
  const browser = newBrowser(options.userAgent);
  const res = await browser.post(`${url}/auth/login`, { email, password: options.password ?? PASSWORD });
  if (res.status !== 200) throw new Error(`sign-in of ${email} failed: ${res.status} ${res.text}`);
  return browser;
}

/** An account registered as an operator registers one (the CLI's service call; 18+ and the terms agreed), with `roles`, then signed in. */
export async function registerAndSignIn(app: INestApplication, url: string, email: string, roles: Role[] = []): Promise<SignedIn> {
  const { accountId } = await app
    .get(AccountsService)
    .register({ email, password: PASSWORD, via: 'cli', eligibility: AGREED, roles }, { actorId: 'operator:test', occurredAt: new Date().toISOString() });
  return { accountId, email, browser: await signIn(url, email) };
}

export type RoleName = 'developer' | 'provider' | 'admin' | 'finance' | 'support';
export const ROLE_NAMES: readonly RoleName[] = ['developer', 'provider', 'admin', 'finance', 'support'];

/**
 * One signed-in account per role. Staff and developers are created as an operator would (the CLI's
 * service call); the provider joins as providers do, by an admin's invite accepted in the app.
 */
export async function signInEachRole(app: INestApplication, url: string, label: string): Promise<Record<RoleName, SignedIn>> {
  const make = (name: RoleName, roles: Role[]): Promise<SignedIn> => registerAndSignIn(app, url, `${label}-${name}@example.com`, roles);
  const admin = await make('admin', ['admin']);
  const provider = await make('provider', []);
  const invite = await admin.browser.post(`${url}/admin/provider-invites`, { email: provider.email });
  const accepted = await provider.browser.post(`${url}/me/provider-invite/accept`, { token: invite.body.token, providerTermsVersion: PROVIDER_TERMS_AGREED });
  if (accepted.status !== 201) throw new Error(`the provider invite was not accepted: ${accepted.status} ${accepted.text}`);
  return {
    developer: await make('developer', []),
    provider,
    admin,
    finance: await make('finance', ['finance']),
    support: await make('support', ['support']),
  };
}
