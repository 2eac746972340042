import { conflict, forbidden, invalid, notFound } from '../../platform/errors/domain-error';
import { assertNever, Decider } from '../../platform/event-sourcing/decider';
import { ProviderInviteEvent } from './provider-invite.events';

export interface ProviderInviteState {
  exists: boolean;
  inviteId: string | null;
  emailHash: string | null;
  tokenHash: string | null;
  expiresAt: string | null;
  acceptedBy: string | null;
  revoked: boolean;
}

export type ProviderInviteCommand =
  | { type: 'IssueProviderInvite'; inviteId: string; emailHash: string; tokenHash: string; expiresAt: string; at: string }
  /** `accountEmailHash`: the keyed hash of the accepting account's email; it must be the invited one. */
  | { type: 'AcceptProviderInvite'; tokenHash: string; accountId: string; accountEmailHash: string | null; at: string }
  | { type: 'RevokeProviderInvite'; at: string };

const initialState = (): ProviderInviteState => ({ exists: false, inviteId: null, emailHash: null, tokenHash: null, expiresAt: null, acceptedBy: null, revoked: false });

/** One answer for a wrong token, a revoked or an unknown invite: an invite cannot be probed. */
const invalidInvite = () => notFound('invite_not_found', 'This invite does not exist or was withdrawn.');

function decide(command: ProviderInviteCommand, state: ProviderInviteState): ProviderInviteEvent[] {
  switch (command.type) {
    case 'IssueProviderInvite':
      if (state.exists) throw conflict('invite_exists', 'This invite id is taken.');
      if (!(Date.parse(command.expiresAt) > Date.parse(command.at))) throw invalid('invalid_expiry', 'An invite must expire in the future.');
      return [
        {
          type: 'ProviderInviteIssued',
          data: { inviteId: command.inviteId, emailHash: command.emailHash, tokenHash: command.tokenHash, expiresAt: command.expiresAt, issuedAt: command.at },
        },
      ];
    case 'AcceptProviderInvite': {
      if (!state.exists || !state.inviteId || state.revoked || state.tokenHash !== command.tokenHash) throw invalidInvite();
      if (state.acceptedBy === command.accountId) return []; // accepting twice is harmless
      if (state.acceptedBy !== null) throw conflict('invite_used', 'This invite was already accepted.');
      if (Date.parse(command.at) >= Date.parse(state.expiresAt as string)) throw forbidden('invite_expired', 'This invite has expired; ask for a new one.');
      if (command.accountEmailHash !== state.emailHash) throw forbidden('invite_email_mismatch', 'This invite was sent to another email address; sign in with that one.');
      return [{ type: 'ProviderInviteAccepted', data: { inviteId: state.inviteId, accountId: command.accountId, acceptedAt: command.at } }];
    }
    case 'RevokeProviderInvite':
      if (!state.exists || !state.inviteId) throw invalidInvite();
      if (state.acceptedBy !== null) throw conflict('invite_used', 'This invite was already accepted.');
      return state.revoked ? [] : [{ type: 'ProviderInviteRevoked', data: { inviteId: state.inviteId, revokedAt: command.at } }];
    default:
      return assertNever(command);
  }
}

function evolve(state: ProviderInviteState, event: ProviderInviteEvent): ProviderInviteState {
  switch (event.type) {
    case 'ProviderInviteIssued':
      return { ...state, exists: true, inviteId: event.data.inviteId, emailHash: event.data.emailHash, tokenHash: event.data.tokenHash, expiresAt: event.data.expiresAt };
    case 'ProviderInviteAccepted':
      return { ...state, acceptedBy: event.data.accountId };
    case 'ProviderInviteRevoked':
      return { ...state, revoked: true };
    default:
      return state;
  }
}

export const providerInviteDecider: Decider<ProviderInviteState, ProviderInviteCommand, ProviderInviteEvent> = { initialState, decide, evolve };
