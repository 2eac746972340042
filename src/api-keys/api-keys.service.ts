import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { Kysely } from 'kysely';
import { AccountsService } from '../accounts/accounts.service';
import { parseInstant } from '../platform/http/dates';
import { conflict, forbidden, invalid, notFound } from '../platform/errors/domain-error';
import { KYSELY } from '../platform/database/database.module';
import { Database } from '../platform/database/schema';
import { handleCommand, loadAggregate } from '../platform/event-sourcing/command-handler';
import { CommandContext } from '../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../platform/event-store/event-store.port';
import { KEY_KYC_GATE, KeyKycGate } from './key-kyc-gate';
import { REDIS } from '../platform/redis/redis.module';
import { SECRETS, Secrets } from '../platform/security/secrets';
import { apiKeyDecider } from './api-key.decide';
import { ApiKeyLimits, apiKeyStream } from './api-key.events';
import { generateApiKey } from './api-key.format';
import { publishKeyInvalidation } from '../accounts/key-invalidation';

export const MAX_ACTIVE_KEYS_PER_ACCOUNT = 50;

export interface IssueKeyInput {
  name: string;
  expiresAt?: string | null;
  limits?: Partial<ApiKeyLimits>;
}

/** What anyone may see of a key: never the key or its hash. */
export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  status: 'active' | 'revoked' | 'expired';
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  limits: ApiKeyLimits;
  rotatedFrom: string | null;
  replacedBy: string | null;
}

@Injectable()
export class ApiKeysService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(SECRETS) private readonly secrets: Secrets,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly accounts: AccountsService,
    @Inject(KEY_KYC_GATE) private readonly kyc: KeyKycGate,
  ) {}

  hashKey(fullKey: string): string {
    return this.secrets.hash('api-key-hash', fullKey);
  }

  /** Returns the full key: the only time it exists outside the caller's hands. */
  async issue(accountId: string, input: IssueKeyInput, context: CommandContext, rotatedFrom: string | null = null): Promise<{ key: string; apiKey: ApiKeyView }> {
    const account = await this.accounts.state(accountId);
    if (!account.exists || account.deleted) throw notFound('account_not_found', 'No such account.');
    // A deletion request revoked every key; a new one would outlive the promise made to the person.
    if (account.deletionRequestedAt) throw conflict('deletion_pending', 'The account is being deleted; cancel the deletion request to create keys again.');
    if (account.status === 'suspended') throw forbidden('account_suspended', 'This account is suspended.');
    // Issue 22: a first Google/Telegram sign-in confirms age and terms before anything (the CLI's keys:issue too).
    if (account.eligibility === 'pending') throw forbidden('eligibility_pending', 'The account has not confirmed age and terms yet (POST /me/eligibility).');
    await this.kyc.assertAllowed(accountId, 'API keys'); // KYC_REQUIRED (P17)
    const active = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    if (Number(active.n) >= MAX_ACTIVE_KEYS_PER_ACCOUNT) throw invalid('too_many_keys', `An account has at most ${MAX_ACTIVE_KEYS_PER_ACCOUNT} active keys; revoke one first.`);
    const expiresAt = input.expiresAt ? parseTime(input.expiresAt) : null;
    const generated = generateApiKey();
    const limits = { requestsPerMinute: input.limits?.requestsPerMinute ?? null, tokensPerMinute: input.limits?.tokensPerMinute ?? null };
    await handleCommand(
      this.store,
      apiKeyStream(generated.keyId),
      apiKeyDecider,
      {
        type: 'IssueApiKey',
        keyId: generated.keyId,
        accountId,
        name: typeof input.name === 'string' ? input.name : '',
        prefix: generated.prefix,
        keyHash: this.hashKey(generated.fullKey),
        expiresAt,
        limits,
        rotatedFrom,
        at: context.occurredAt,
      },
      context,
    );
    return {
      key: generated.fullKey,
      apiKey: {
        id: generated.keyId,
        name: input.name.trim(),
        prefix: generated.prefix,
        status: 'active',
        createdAt: context.occurredAt,
        lastUsedAt: null,
        expiresAt,
        revokedAt: null,
        limits,
        rotatedFrom,
        replacedBy: null,
      },
    };
  }

  /** The account that owns a key (support's search by a key's public id), from its events: a key issued a moment ago is found. */
  async ownerOf(keyId: string): Promise<string | null> {
    return (await loadAggregate(this.store, apiKeyStream(keyId), apiKeyDecider)).state.accountId;
  }

  async list(accountId: string): Promise<ApiKeyView[]> {
    const rows = await this.db
      .selectFrom('api_keys as k')
      .leftJoin('api_key_usage as u', 'u.key_id', 'k.key_id')
      .select([
        'k.key_id',
        'k.name',
        'k.prefix',
        'k.created_at',
        'k.expires_at',
        'k.revoked_at',
        'k.requests_per_minute',
        'k.tokens_per_minute',
        'k.rotated_from',
        'k.replaced_by',
        'u.last_used_at',
      ])
      .where('k.account_id', '=', accountId)
      .orderBy('k.created_at', 'desc')
      .limit(MAX_ACTIVE_KEYS_PER_ACCOUNT * 20)
      .execute();
    const nowMs = Date.now();
    return rows.map((r) => ({
      id: r.key_id,
      name: r.name,
      prefix: r.prefix,
      status: r.revoked_at ? 'revoked' : r.expires_at && r.expires_at.getTime() <= nowMs ? 'expired' : 'active',
      createdAt: r.created_at.toISOString(),
      lastUsedAt: r.last_used_at?.toISOString() ?? null,
      expiresAt: r.expires_at?.toISOString() ?? null,
      revokedAt: r.revoked_at?.toISOString() ?? null,
      limits: { requestsPerMinute: r.requests_per_minute, tokensPerMinute: r.tokens_per_minute },
      rotatedFrom: r.rotated_from,
      replacedBy: r.replaced_by,
    }));
  }

  /**
   * `ownerId` null = staff acting on any key. A key of another account is reported exactly like
   * a missing one, so ids cannot be probed across tenants.
   */
  async revoke(ownerId: string | null, keyId: string, context: CommandContext, replacedBy: string | null = null): Promise<void> {
    const { state } = await loadAggregate(this.store, apiKeyStream(safeKeyId(keyId)), apiKeyDecider);
    if (!state.exists || (ownerId !== null && state.accountId !== ownerId)) throw notFound('api_key_not_found', 'No such API key.');
    await handleCommand(
      this.store,
      apiKeyStream(keyId),
      apiKeyDecider,
      { type: 'RevokeApiKey', reason: replacedBy ? 'rotated' : 'revoked', replacedBy, at: context.occurredAt },
      context,
    );
    await publishKeyInvalidation(this.redis, { kind: 'key', keyHash: state.keyHash as string, accountId: state.accountId as string });
  }

  /** Revokes every key of the account the read model lists (audited: one ApiKeyRevoked per key). Returns how many. */
  async revokeAll(accountId: string, context: CommandContext): Promise<number> {
    const rows = await this.db
      .selectFrom('api_keys')
      .select('key_id')
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .limit(MAX_ACTIVE_KEYS_PER_ACCOUNT * 20)
      .execute();
    for (const row of rows) await this.revoke(accountId, row.key_id, context);
    return rows.length;
  }

  /** A new key with the same name and limits, then the old one revoked: the new key is shown once. */
  async rotate(ownerId: string, keyId: string, context: CommandContext): Promise<{ key: string; apiKey: ApiKeyView }> {
    const { state } = await loadAggregate(this.store, apiKeyStream(safeKeyId(keyId)), apiKeyDecider);
    if (!state.exists || state.accountId !== ownerId || state.revoked) throw notFound('api_key_not_found', 'No such API key.');
    const next = await this.issue(ownerId, { name: state.name as string, expiresAt: state.expiresAt, limits: state.limits }, context, keyId);
    await this.revoke(ownerId, keyId, context, next.apiKey.id);
    return next;
  }
}

function safeKeyId(keyId: string): string {
  if (!/^[0-9A-Za-z]{12}$/.test(keyId)) throw notFound('api_key_not_found', 'No such API key.');
  return keyId;
}

function parseTime(value: string): string {
  return parseInstant(value, 'expiresAt', 'invalid_expiry').toISOString();
}
