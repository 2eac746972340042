import { DomainEvent } from '../../platform/event-sourcing/decider';

/**
 * Stream `provider-invite-{inviteId}`. The invitee is named by the keyed hash of their email (as
 * accounts are), the invite token only by its keyed hash: neither is readable from the events.
 */
export type ProviderInviteEvent =
  | DomainEvent<'ProviderInviteIssued', { inviteId: string; emailHash: string; tokenHash: string; expiresAt: string; issuedAt: string }>
  | DomainEvent<'ProviderInviteAccepted', { inviteId: string; accountId: string; acceptedAt: string }>
  | DomainEvent<'ProviderInviteRevoked', { inviteId: string; revokedAt: string }>;

export const providerInviteStream = (inviteId: string) => `provider-invite-${inviteId}`;
