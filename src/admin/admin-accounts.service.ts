import { Injectable } from '@nestjs/common';
import { Role, ROLES } from '../platform/access/roles';
import { AccountsService, AccountView } from '../accounts/accounts.service';
import { checkAccountId } from '../accounts/account-id';
import { invalid, notFound } from '../platform/errors/domain-error';

/** Staff reads of any account; the writes go straight to AccountsService with the admin as actor. */
@Injectable()
export class AdminAccountsService {
  constructor(private readonly accounts: AccountsService) {}

  /** The read model, with roles and status from the events, so an admin sees their own change at once. */
  async view(accountId: string): Promise<AccountView> {
    const state = await this.accounts.state(checkAccountId(accountId));
    if (!state.exists) throw notFound('account_not_found', 'No such account.');
    const view = await this.accounts.view(accountId);
    return { ...view, roles: state.roles, status: state.status };
  }
}

export function checkRole(role: unknown): Role {
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw invalid('unknown_role', `role must be one of ${ROLES.join(', ')}.`);
  return role as Role;
}
