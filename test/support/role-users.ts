import { INestApplication } from '@nestjs/common';
import { AccountsService } from '../../src/accounts/accounts.service';
import { Role } from '../../src/accounts/account.events';
import { newBrowser } from '../auth/auth-app';
import { Browser } from './browser';
import { AGREED } from './eligibility';
import { PROVIDER_TERMS_AGREED } from './eligibility';

export const PASSWORD = 'correct horse battery staple';

export interface SignedIn {
  accountId: string;
  email: string;
  browser: Browser;
}

export type RoleName = 'developer' | 'provider' | 'admin' | 'finance' | 'support';
export const ROLE_NAMES: readonly RoleName[] = ['developer', 'provider', 'admin', 'finance', 'support'];

/**
 * One signed-in account per role. Staff and developers are created as an operator would (the CLI's
 * service call); the provider joins as providers do, by an admin's invite accepted in the app.
 */
export async function signInEachRole(app: INestApplication, url: string, label: string): Promise<Record<RoleName, SignedIn>> {
  const accounts = app.get(AccountsService);
  const make = async (name: RoleName, roles: Role[]): Promise<SignedIn> => {
    const email = `${label}-${name}@example.com`;
    const { accountId } = await accounts.register({ email, password: PASSWORD, via: 'cli', eligibility: AGREED, roles }, { actorId: 'operator:test', occurredAt: new Date().toISOString() });
    const browser = newBrowser();
    const login = await browser.post(`${url}/auth/login`, { email, password: PASSWORD });
    if (login.status !== 200) throw new Error(`sign-in of ${email} failed: ${login.status} ${login.text}`);
    return { accountId, email, browser };
  };
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
