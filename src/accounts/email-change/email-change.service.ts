import { Inject, Injectable } from '@nestjs/common';
import { conflict, invalid, notFound } from '../../platform/errors/domain-error';
import { CommandContext } from '../../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../../platform/event-store/event-store.port';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../../platform/personal-data/personal-data.vault';
import { executeAccountCommand } from '../account-commands';
import { AccountsService, assertActive, EMAIL, normalizeEmail } from '../accounts.service';
import { claimIdentity, releaseIdentity } from '../identity';

/** A signed-in person changes their email: checked first, then claimed and recorded once the new address is proven. */
@Injectable()
export class EmailChangeService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    private readonly accounts: AccountsService,
  ) {}

  /**
   * An email change's first step: the address checked, nothing claimed. `exists`: another account
   * signs in with it (the caller mails that address a notice and answers the same). The account
   * changing must be active and may not name its own address.
   */
  async prepareEmailChange(accountId: string, newEmail: string): Promise<{ email: string; exists: boolean }> {
    const email = normalizeEmail(newEmail);
    if (!EMAIL.test(email)) throw invalid('invalid_email', 'That is not an email address.');
    const state = await this.accounts.state(accountId);
    if (!state.exists || state.deleted) throw notFound('account_not_found', 'No such account.');
    assertActive(state);
    if (state.emailHash === this.accounts.identityHash('email', email)) throw invalid('same_email', 'That is already the address of this account.');
    const owner = await this.accounts.emailOwner(email);
    return { email, exists: owner !== null && owner !== accountId };
  }

  /** The proven new address: claimed (refused if another account holds it or is taking it), recorded, and the old one released. */
  async changeEmail(accountId: string, newEmail: string, context: CommandContext): Promise<void> {
    const email = normalizeEmail(newEmail);
    const hash = this.accounts.identityHash('email', email);
    const previous = (await this.accounts.state(accountId)).emailHash;
    const claimed = await claimIdentity(this.store, hash, 'email', accountId, context.occurredAt, (owner) => this.accounts.claimOwnerStatus(owner, hash));
    if (claimed !== 'claimed') throw conflict('email_taken', 'An account with this email already exists.');
    await executeAccountCommand(this.store, accountId, { type: 'ChangeEmail', emailHash: hash, email: await this.vault.seal(accountId, email), at: context.occurredAt }, context);
    if (previous && previous !== hash) await releaseIdentity(this.store, previous, 'email', accountId, context.occurredAt);
  }
}
