import { providerInviteDecider } from '../../src/nodes/invites/provider-invite.decide';
import { ProviderInviteEvent } from '../../src/nodes/invites/provider-invite.events';
import { given } from '../support/decider-spec';

const at = '2026-11-22T10:00:00.000Z';
const expiresAt = '2026-12-06T10:00:00.000Z';
const inviteId = 'AbCdEfGhIjKl';
const issued: ProviderInviteEvent = { type: 'ProviderInviteIssued', data: { inviteId, emailHash: 'e1', tokenHash: 't1', expiresAt, issuedAt: at } };
const accept = { type: 'AcceptProviderInvite' as const, tokenHash: 't1', accountId: 'a1', accountEmailHash: 'e1', at };
const accepted: ProviderInviteEvent = { type: 'ProviderInviteAccepted', data: { inviteId, accountId: 'a1', acceptedAt: at } };

describe('provider invite decider', () => {
  it('issues an invite that expires in the future', () => {
    given(providerInviteDecider, []).when({ type: 'IssueProviderInvite', inviteId, emailHash: 'e1', tokenHash: 't1', expiresAt, at }).then([issued]);
    given(providerInviteDecider, []).when({ type: 'IssueProviderInvite', inviteId, emailHash: 'e1', tokenHash: 't1', expiresAt: at, at }).thenRefuses('invalid_expiry');
    given(providerInviteDecider, [issued]).when({ type: 'IssueProviderInvite', inviteId, emailHash: 'e1', tokenHash: 't1', expiresAt, at }).thenRefuses('invite_exists');
  });

  it('is accepted once, by the invited email, with the right token, before it expires', () => {
    given(providerInviteDecider, [issued]).when(accept).then([accepted]);
    given(providerInviteDecider, [issued, accepted]).when(accept).then([]);
    given(providerInviteDecider, [issued, accepted])
      .when({ ...accept, accountId: 'a2' })
      .thenRefuses('invite_used');
    given(providerInviteDecider, [issued])
      .when({ ...accept, tokenHash: 'wrong' })
      .thenRefuses('invite_not_found');
    given(providerInviteDecider, [issued])
      .when({ ...accept, accountEmailHash: 'other' })
      .thenRefuses('invite_email_mismatch');
    given(providerInviteDecider, [issued])
      .when({ ...accept, at: expiresAt })
      .thenRefuses('invite_expired');
    given(providerInviteDecider, []).when(accept).thenRefuses('invite_not_found');
  });

  it('can be withdrawn before it is used', () => {
    const revoked: ProviderInviteEvent = { type: 'ProviderInviteRevoked', data: { inviteId, revokedAt: at } };
    given(providerInviteDecider, [issued]).when({ type: 'RevokeProviderInvite', at }).then([revoked]);
    given(providerInviteDecider, [issued, revoked]).when(accept).thenRefuses('invite_not_found');
    given(providerInviteDecider, [issued, accepted]).when({ type: 'RevokeProviderInvite', at }).thenRefuses('invite_used');
  });
});
