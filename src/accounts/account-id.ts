import { notFound } from '../platform/errors/domain-error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Account ids are UUIDs; anything else is simply not found (and never reaches a stream name).
 * For every staff route that names an account (admin, ledger, legal, privacy, support): it lives
 * with the accounts capability they all depend on, not in admin/.
 */
export function checkAccountId(accountId: string): string {
  if (!UUID.test(accountId)) throw notFound('account_not_found', 'No such account.');
  return accountId;
}
