import { accountDecider } from '../../src/accounts/account.decide';
import { AccountEvent } from '../../src/accounts/account.events';
import { given } from '../support/decider-spec';

const at = '2026-11-22T10:00:00.000Z';
const due = '2026-12-22T10:00:00.000Z';
const later = '2026-12-22T10:00:00.001Z';
const registered: AccountEvent = {
  type: 'AccountRegistered',
  data: { accountId: 'a1', emailHash: 'h', email: 'pd1.x', displayName: null, picture: null, via: 'password', roles: ['developer'], registeredAt: at },
};
const requested: AccountEvent = { type: 'DeletionRequested', data: { requestedAt: at, dueAt: due, channel: 'self' } };
const request = { type: 'RequestDeletion' as const, dueAt: due, channel: 'self' as const, note: null, at };
const deleted: AccountEvent = { type: 'AccountDeleted', data: { requestedAt: at, deletedAt: due } };

describe('account decider: data rights (P9, P10)', () => {
  it('records a deletion request once, with its due time, channel and sealed note', () => {
    given(accountDecider, [registered]).when(request).then([requested]);
    given(accountDecider, [registered, requested])
      .when({ ...request, at: later })
      .then([]);
    given(accountDecider, [registered])
      .when({ ...request, channel: 'email', note: 'pd1.note' })
      .then([{ type: 'DeletionRequested', data: { requestedAt: at, dueAt: due, channel: 'email', note: 'pd1.note' } }]);
    given(accountDecider, [registered])
      .when({ ...request, dueAt: '2026-11-21T00:00:00.000Z' })
      .thenRefuses('invalid_due_time');
  });
  it('cancels a pending request; cancelling nothing changes nothing', () => {
    given(accountDecider, [registered, requested])
      .when({ type: 'CancelDeletion', at })
      .then([{ type: 'DeletionCancelled', data: { cancelledAt: at } }]);
    given(accountDecider, [registered]).when({ type: 'CancelDeletion', at }).then([]);
  });
  it('completes only when due, never after a cancellation, and only once', () => {
    given(accountDecider, [registered, requested]).when({ type: 'CompleteDeletion', graceDays: 30, at: '2026-12-22T09:59:59.999Z' }).thenRefuses('grace_period_running');
    given(accountDecider, [registered, requested]).when({ type: 'CompleteDeletion', graceDays: 30, at: due }).then([deleted]);
    given(accountDecider, [registered, requested, { type: 'DeletionCancelled', data: { cancelledAt: at } }])
      .when({ type: 'CompleteDeletion', graceDays: 30, at: due })
      .thenRefuses('no_deletion_request');
    given(accountDecider, [registered, requested, deleted]).when({ type: 'CompleteDeletion', graceDays: 30, at: later }).then([]);
  });
  it('applies the grace period given to a request recorded without a due time', () => {
    const early: AccountEvent = { type: 'DeletionRequested', data: { requestedAt: at } };
    given(accountDecider, [registered, early]).when({ type: 'CompleteDeletion', graceDays: 30, at: '2026-12-22T09:00:00.000Z' }).thenRefuses('grace_period_running');
    given(accountDecider, [registered, early])
      .when({ type: 'CompleteDeletion', graceDays: 30, at: due })
      .then([{ type: 'AccountDeleted', data: { requestedAt: at, deletedAt: due } }]);
  });
  it('treats a deleted account as gone', () => {
    given(accountDecider, [registered, requested, deleted]).when({ type: 'UpdateProfile', displayName: 'pd1.y', at }).thenRefuses('account_not_found');
    given(accountDecider, [registered, requested, deleted]).when({ type: 'CancelDeletion', at }).thenRefuses('account_not_found');
    given(accountDecider, [registered, requested, deleted]).when({ type: 'RestrictProcessing', at }).thenRefuses('account_not_found');
  });
  it('restricts and lifts, idempotently', () => {
    const restricted: AccountEvent = { type: 'ProcessingRestricted', data: { restrictedAt: at } };
    given(accountDecider, [registered]).when({ type: 'RestrictProcessing', at }).then([restricted]);
    given(accountDecider, [registered, restricted]).when({ type: 'RestrictProcessing', at }).then([]);
    given(accountDecider, [registered, restricted])
      .when({ type: 'LiftRestriction', at })
      .then([{ type: 'ProcessingRestrictionLifted', data: { liftedAt: at } }]);
    given(accountDecider, [registered]).when({ type: 'LiftRestriction', at }).then([]);
  });
});
