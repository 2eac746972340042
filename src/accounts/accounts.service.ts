import { now } from '../platform/clock';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Kysely } from 'kysely';
import { conflict, DomainError, forbidden, invalid, notFound, unauthorized } from '../platform/errors/domain-error';
import { KYSELY } from '../platform/database/database.module';
import { Database } from '../platform/database/schema';
import { CommandContext } from '../platform/event-sourcing/decider';
import { handleCommand, loadAggregate } from '../platform/event-sourcing/command-handler';
import { EVENT_STORE, EventStore } from '../platform/event-store/event-store.port';
import { publishKeyInvalidation } from './key-invalidation';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../platform/personal-data/personal-data.vault';
import { REDIS } from '../platform/redis/redis.module';
import { SECRETS, Secrets } from '../platform/security/secrets';
import { AccountCommand, accountDecider, AccountState } from './account.decide';
import { accountStream, DeletionChannel, SignInMethod } from './account.events';
import { Role } from '../platform/access/roles';
import { EligibilityInput } from './eligibility/eligibility';
import { AccountEligibilityService } from './eligibility/account-eligibility.service';
import { checkPassword, checkProfile } from './profile/profile.service';
import { claimIdentity, ClaimOwnerStatus, IdentityKind, identityOwner } from './identity';
import { decoyPasswordHash, hashPassword, PASSWORD_MAX_LENGTH, verifyPassword } from './password';

export const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{1,63}$/;
/** A racing first sign-in waits this many times this long for the winner's account (≤ 3 s). */
const IN_FLIGHT_POLLS = 30;
const IN_FLIGHT_POLL_MS = 100;

export interface RegisterInput {
  email: string | null;
  password?: string;
  /** Hashed already (a proven sign-up: the password was checked and hashed when the link was sent). */
  passwordHash?: string;
  displayName?: string | null;
  picture?: string | null;
  via: SignInMethod;
  roles?: Role[];
  /** A sign-in identity other than the email (Google subject, Telegram id). */
  external?: { kind: Exclude<IdentityKind, 'email'>; subject: string };
  /**
   * Issue 22: confirmed 18 or older and the versions accepted (those in force at `attestedAt`,
   * default now); 'pending' only for a first Google/Telegram sign-in, which confirms next.
   */
  eligibility: (EligibilityInput & { attestedAt?: string }) | 'pending';
}

export interface AccountView {
  accountId: string;
  email: string | null;
  displayName: string | null;
  picture: string | null;
  roles: Role[];
  status: 'active' | 'suspended';
  registeredVia: string;
  registeredAt: string;
  deletionRequestedAt: string | null;
  deletionDueAt: string | null;
  restrictedAt: string | null;
}

/**
 * Accounts and sign-in identities: an account's records, sign-up and sign-in, suspension, deletion and
 * restriction. The other use cases have a service each: eligibility/, roles/, email-change/, profile/.
 */
@Injectable()
export class AccountsService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(SECRETS) private readonly secrets: Secrets,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly eligibility: AccountEligibilityService,
  ) {}

  identityHash(kind: IdentityKind, value: string): string {
    return this.secrets.hash('identity-hash', `${kind}:${kind === 'email' ? normalizeEmail(value) : value}`);
  }

  /**
   * A password sign-up's first step: everything checked and the password hashed, nothing claimed.
   * The account is registered (with the hash) only once the email is proven. `exists`: the address
   * already has an account (the caller mails its owner instead, and answers the same).
   */
  async prepareSignUp(input: {
    email: string;
    password: string;
    displayName: string | null;
  }): Promise<{ email: string; passwordHash: string; displayName: string | null; exists: boolean }> {
    const email = normalizeEmail(input.email);
    if (!EMAIL.test(email)) throw invalid('invalid_email', 'That is not an email address.');
    checkPassword(input.password);
    checkProfile(input.displayName, null);
    const exists = (await this.emailOwner(email)) !== null;
    return { email, passwordHash: await hashPassword(input.password), displayName: input.displayName?.trim() || null, exists };
  }

  async register(input: RegisterInput, context: CommandContext): Promise<{ accountId: string }> {
    const email = input.email === null ? null : normalizeEmail(input.email);
    if (email !== null && !EMAIL.test(email)) throw invalid('invalid_email', 'That is not an email address.');
    if (input.password !== undefined) checkPassword(input.password);
    checkProfile(input.displayName, input.picture);
    const at = context.occurredAt;
    // Checked before any identity is claimed: a refused sign-up leaves nothing behind.
    const eligibility = input.eligibility === 'pending' ? 'pending' : await this.eligibility.checkAttestation(input.eligibility, input.eligibility.attestedAt ?? at);
    const accountId = randomUUID();
    const identities: [IdentityKind, string][] = [];
    if (email) identities.push(['email', email]);
    if (input.external) identities.push([input.external.kind, input.external.subject]);
    if (identities.length === 0) throw invalid('identity_required', 'An account needs an email or an external identity.');
    for (const [kind, value] of identities) {
      const hash = this.identityHash(kind, value);
      const claimed = await claimIdentity(this.store, hash, kind, accountId, at, (owner) => this.claimOwnerStatus(owner, kind === 'email' ? hash : null));
      if (claimed !== 'claimed') throw conflict(`${kind}_taken`, kind === 'email' ? 'An account with this email already exists.' : 'This identity already has an account.');
    }
    await this.execute(
      accountId,
      {
        type: 'RegisterAccount',
        accountId,
        emailHash: email ? this.identityHash('email', email) : this.identityHash(identities[0][0], identities[0][1]),
        email: await this.vault.sealOptional(accountId, email),
        displayName: await this.vault.sealOptional(accountId, input.displayName?.trim() || null),
        picture: await this.vault.sealOptional(accountId, input.picture ?? null),
        via: input.via,
        roles: input.roles ?? [],
        passwordHash: input.passwordHash ?? (input.password === undefined ? null : await hashPassword(input.password)),
        eligibility,
        at,
      },
      context,
    );
    return { accountId };
  }

  /** The same answer, and about the same time, whether the email is unknown or the password wrong. */
  async verifyPassword(email: string, password: string): Promise<{ accountId: string }> {
    const emailHash = this.identityHash('email', email);
    const accountId = await identityOwner(this.store, emailHash);
    const state = accountId ? (await loadAggregate(this.store, accountStream(accountId), accountDecider)).state : null;
    const ok = await verifyPassword(password.slice(0, PASSWORD_MAX_LENGTH), state?.passwordHash ?? (await decoyPasswordHash()));
    // An address the account has changed away from signs in to nothing (its claim is released).
    if (!accountId || !state?.passwordHash || state.deleted || state.emailHash !== emailHash || !ok) throw unauthorized('invalid_credentials', 'Wrong email or password.');
    assertActive(state);
    return { accountId };
  }

  /** Google/Telegram: the account holding this identity, else the one holding its verified email, else a new one. */
  async signInExternal(
    kind: Exclude<IdentityKind, 'email'>,
    subject: string,
    profile: { email: string | null; emailVerified: boolean; displayName: string | null; picture: string | null },
    via: SignInMethod,
  ): Promise<{ accountId: string; created: boolean }> {
    const context = { actorId: 'self', occurredAt: now() };
    let accountId = await identityOwner(this.store, this.identityHash(kind, subject));
    if (!accountId && profile.email && profile.emailVerified) {
      accountId = await this.emailOwner(profile.email);
      if (accountId) {
        const linked = await claimIdentity(this.store, this.identityHash(kind, subject), kind, accountId, context.occurredAt, (o) => this.claimOwnerStatus(o, null));
        if (linked !== 'claimed') accountId = linked.ownedBy;
      }
    }
    if (accountId && (await this.exists(accountId))) {
      assertActive(await this.state(accountId));
      return { accountId, created: false };
    }
    try {
      const created = await this.register(
        {
          email: profile.emailVerified ? profile.email : null,
          displayName: profile.displayName,
          picture: profile.picture,
          via,
          external: { kind, subject },
          eligibility: 'pending',
        },
        { ...context, actorId: 'self' },
      );
      return { accountId: created.accountId, created: true };
    } catch (err) {
      // A concurrent first sign-in of the same identity is registering it: sign in to that account once it exists.
      if (!(err instanceof DomainError && err.code === `${kind}_taken`)) throw err;
      for (let attempt = 0; attempt < IN_FLIGHT_POLLS; attempt++) {
        const owner = await identityOwner(this.store, this.identityHash(kind, subject));
        if (owner && (await this.exists(owner))) {
          assertActive(await this.state(owner));
          return { accountId: owner, created: false };
        }
        await new Promise((resolve) => setTimeout(resolve, IN_FLIGHT_POLL_MS));
      }
      throw err;
    }
  }

  async state(accountId: string): Promise<AccountState> {
    return (await loadAggregate(this.store, accountStream(accountId), accountDecider)).state;
  }

  /**
   * A deleted account no longer exists: its email and sign-in identities may be claimed anew. A
   * claimed email (`emailHash`) the account does not sign in with is a change in flight (held a
   * while, as a registration in flight is) or one whose release was not recorded (taken over after).
   */
  async claimOwnerStatus(accountId: string, emailHash: string | null): Promise<ClaimOwnerStatus> {
    const state = await this.state(accountId);
    if (!state.exists) return 'absent';
    if (state.deleted) return 'deleted';
    return emailHash !== null && state.emailHash !== emailHash ? 'absent' : 'active';
  }

  /** The account that signs in with this email now: its claim's owner, unless deleted or changed away. */
  async emailOwner(email: string): Promise<string | null> {
    const hash = this.identityHash('email', email);
    const owner = await identityOwner(this.store, hash);
    return owner !== null && (await this.claimOwnerStatus(owner, hash)) === 'active' ? owner : null;
  }

  async exists(accountId: string): Promise<boolean> {
    const state = await this.state(accountId);
    return state.exists && !state.deleted;
  }

  /** Takes effect on the hot path at once: every instance drops the account's cached keys. */
  async suspend(accountId: string, reason: string, context: CommandContext): Promise<void> {
    await this.execute(accountId, { type: 'SuspendAccount', reason, at: context.occurredAt }, context);
    await publishKeyInvalidation(this.redis, { kind: 'account', accountId, suspended: true });
  }

  async reinstate(accountId: string, context: CommandContext): Promise<void> {
    await this.execute(accountId, { type: 'ReinstateAccount', at: context.occurredAt }, context);
    await publishKeyInvalidation(this.redis, { kind: 'account', accountId, suspended: false });
  }

  /** P9. Call through DataRightsService, which also revokes the keys and ends the sessions. */
  async requestDeletion(accountId: string, request: { dueAt: string; channel: DeletionChannel; note: string | null }, context: CommandContext): Promise<void> {
    const note = await this.vault.sealOptional(accountId, request.note);
    await this.execute(accountId, { type: 'RequestDeletion', dueAt: request.dueAt, channel: request.channel, note, at: context.occurredAt }, context);
  }

  async cancelDeletion(accountId: string, context: CommandContext): Promise<void> {
    await this.execute(accountId, { type: 'CancelDeletion', at: context.occurredAt }, context);
  }

  /** Appends AccountDeleted once (a re-run appends nothing); refused before the due time. */
  async completeDeletion(accountId: string, graceDays: number, context: CommandContext): Promise<void> {
    await this.execute(accountId, { type: 'CompleteDeletion', graceDays, at: context.occurredAt }, context);
  }

  /** P10: takes effect on the hot path at once, through the same channel and denylist as a suspension. */
  async restrictProcessing(accountId: string, context: CommandContext): Promise<void> {
    await this.execute(accountId, { type: 'RestrictProcessing', at: context.occurredAt }, context);
    await publishKeyInvalidation(this.redis, { kind: 'restriction', accountId, restricted: true });
  }

  async liftRestriction(accountId: string, context: CommandContext): Promise<void> {
    await this.execute(accountId, { type: 'LiftRestriction', at: context.occurredAt }, context);
    await publishKeyInvalidation(this.redis, { kind: 'restriction', accountId, restricted: false });
  }

  async findIdByEmail(email: string): Promise<string | null> {
    return this.emailOwner(email);
  }

  /** From the read model (may trail the events by the projection lag), with personal fields opened. */
  async view(accountId: string): Promise<AccountView> {
    const row = await this.db.selectFrom('accounts').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    if (!row) throw notFound('account_not_found', 'No such account.');
    return {
      accountId: row.account_id,
      email: await this.vault.open(accountId, row.email_sealed),
      displayName: await this.vault.open(accountId, row.display_name_sealed),
      picture: await this.vault.open(accountId, row.picture_sealed),
      roles: row.roles as Role[],
      status: row.status,
      registeredVia: row.registered_via,
      registeredAt: row.registered_at.toISOString(),
      deletionRequestedAt: row.deletion_requested_at?.toISOString() ?? null,
      deletionDueAt: row.deletion_due_at?.toISOString() ?? null,
      restrictedAt: row.restricted_at?.toISOString() ?? null,
    };
  }

  private async execute(accountId: string, command: AccountCommand, context: CommandContext): Promise<void> {
    await handleCommand(this.store, accountStream(accountId), accountDecider, command, context);
  }
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function assertActive(state: AccountState): void {
  if (state.status === 'suspended') throw forbidden('account_suspended', 'This account is suspended.');
}
