import { DomainEvent } from '../event-sourcing/decider';

export const ROLES = ['developer', 'provider', 'finance', 'support', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const STAFF_ROLES: readonly Role[] = ['finance', 'support', 'admin'];

export type SignInMethod = 'password' | 'google' | 'telegram' | 'cli';

/** Stream `account-{accountId}`. Personal fields are sealed (see PersonalDataVault); hashes are keyed. */
export type AccountEvent =
  | DomainEvent<'AccountRegistered', {
      accountId: string;
      emailHash: string;
      email: string | null;
      displayName: string | null;
      picture: string | null;
      via: SignInMethod;
      roles: Role[];
      registeredAt: string;
    }>
  | DomainEvent<'PasswordChanged', { passwordHash: string; changedAt: string }>
  | DomainEvent<'ProfileUpdated', { displayName?: string | null; picture?: string | null; updatedAt: string }>
  | DomainEvent<'RoleGranted', { role: Role; grantedAt: string }>
  | DomainEvent<'RoleRevoked', { role: Role; revokedAt: string }>
  | DomainEvent<'AccountSuspended', { reason: string; suspendedAt: string }>
  | DomainEvent<'AccountReinstated', { reinstatedAt: string }>
  | DomainEvent<'DeletionRequested', { requestedAt: string }>;

export const accountStream = (accountId: string) => `account-${accountId}`;
