import { Inject, Injectable } from '@nestjs/common';
import { CommandContext } from '../../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { Role } from '../../platform/access/roles';
import { executeAccountCommand } from '../account-commands';

/** Granting and revoking an account's roles (the provider role only through an invite). */
@Injectable()
export class AccountRolesService {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async grantRole(accountId: string, role: Role, context: CommandContext, viaInvite = false): Promise<void> {
    await executeAccountCommand(this.store, accountId, { type: 'GrantRole', role, viaInvite, at: context.occurredAt }, context);
  }

  async revokeRole(accountId: string, role: Role, context: CommandContext): Promise<void> {
    await executeAccountCommand(this.store, accountId, { type: 'RevokeRole', role, at: context.occurredAt }, context);
  }
}
