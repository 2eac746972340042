import { Injectable } from '@nestjs/common';
import { AccountsService } from '../accounts/accounts.service';
import { AdminAccountsService } from '../admin/admin-accounts.service';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { DomainError } from '../platform/errors/domain-error';

export type MatchedBy = 'account id' | 'email' | 'API key';

export interface FoundAccount {
  accountId: string;
  email: string | null;
  displayName: string | null;
  roles: string[];
  status: 'active' | 'suspended';
  registeredAt: string;
  matchedBy: MatchedBy;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A key's public part: `tg_live_<id>` as the key list shows it, a whole key pasted by its owner, or the bare 12-character id. */
const KEY_ID = /^(?:tg_live_)?([0-9A-Za-z]{12})(?:_[0-9A-Za-z]{32})?$/;

/**
 * Support's "find an account" from what a person brings: an account id, the email they sign in with
 * (exact, as emails are stored sealed and looked up by their keyed hash, never scanned), or an API
 * key's public id. Exact matches only: staff read one account at a time, and each look is audited.
 */
@Injectable()
export class AccountSearch {
  constructor(
    private readonly accounts: AccountsService,
    private readonly admin: AdminAccountsService,
    private readonly keys: ApiKeysService,
  ) {}

  async find(q: string): Promise<FoundAccount[]> {
    const text = q.trim();
    const candidates: [MatchedBy, Promise<string | null>][] = [];
    if (UUID.test(text)) candidates.push(['account id', Promise.resolve(text.toLowerCase())]);
    if (text.includes('@')) candidates.push(['email', this.accounts.emailOwner(text)]);
    const key = KEY_ID.exec(text);
    if (key) candidates.push(['API key', this.keys.ownerOf(key[1])]);
    const found: FoundAccount[] = [];
    for (const [matchedBy, owner] of candidates) {
      const accountId = await owner;
      if (accountId === null || found.some((f) => f.accountId === accountId)) continue;
      const view = await this.viewOf(accountId);
      if (view) found.push({ ...view, matchedBy });
    }
    return found;
  }

  private async viewOf(accountId: string): Promise<Omit<FoundAccount, 'matchedBy'> | null> {
    try {
      const v = await this.admin.view(accountId);
      return { accountId: v.accountId, email: v.email, displayName: v.displayName, roles: v.roles, status: v.status, registeredAt: v.registeredAt };
    } catch (err) {
      if (err instanceof DomainError && err.kind === 'not_found') return null;
      throw err;
    }
  }
}
