import { Inject, Injectable } from '@nestjs/common';
import { Kysely, Selectable } from 'kysely';
import { base62 } from '../api-keys/api-key.format';
import { parseInstant } from '../platform/http/dates';
import { DomainError, invalid, notFound } from '../platform/errors/domain-error';
import { KYSELY } from '../platform/database/database.module';
import { Database, UpstreamCostsTable, UpstreamProvidersTable } from '../platform/database/schema';
import { handleCommand } from '../platform/event-sourcing/command-handler';
import { CommandContext } from '../platform/event-sourcing/decider';
import { EVENT_STORE, EventStore } from '../platform/event-store/event-store.port';
import { NodeEndpointGuard } from '../nodes/endpoint-guard/endpoint-guard';
import { NodeRegistry } from '../nodes/routing/node-registry';
import { sealWithKey } from '../platform/security/sealing';
import { SECRETS, Secrets } from '../platform/security/secrets';
import { checkModels, upstreamDecider } from './upstream.decide';
import { UPSTREAM_ID_PATTERN, UpstreamModel, UpstreamStatus, upstreamStream } from './upstream.events';

export const UPSTREAM_KEY_MAX = 1_000;
export const BASE_URL_MAX = 500;
export const UPSTREAMS_MAX = 200;

export interface RegisterUpstreamInput {
  name: string;
  baseUrl: string;
  apiKey: string;
  models: unknown;
}

export interface SetUpstreamCostInput {
  model: string;
  inputMicroUsdPerMTok: bigint;
  outputMicroUsdPerMTok: bigint;
  perImageMicroUsd?: bigint | null;
  effectiveAt?: string | null;
}

/** What staff see of an upstream: never its key (not even a part of it), only which version is in use. */
export interface UpstreamView {
  id: string;
  name: string;
  baseUrl: string;
  status: UpstreamStatus;
  models: UpstreamModel[];
  keyVersion: number;
  registeredAt: string;
  updatedAt: string;
  costs: Array<{ model: string; version: number; inputMicroUsdPerMTok: string; outputMicroUsdPerMTok: string; perImageMicroUsd: string | null; effectiveAt: string }>;
}

/** The vendor key, checked for shape only (what vendors issue varies): printable ASCII, no spaces. */
function checkApiKey(apiKey: unknown): string {
  if (typeof apiKey !== 'string' || !/^[\x21-\x7e]{8,1000}$/.test(apiKey))
    throw invalid('invalid_api_key', `apiKey is 8..${UPSTREAM_KEY_MAX} printable characters without spaces.`);
  return apiKey;
}

function checkBaseUrl(url: unknown): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw invalid('invalid_base_url', 'baseUrl must be an http(s) URL, like https://api.vendor.example/v1.');
  }
  if (
    typeof url !== 'string' ||
    url.length > BASE_URL_MAX ||
    !['http:', 'https:'].includes(parsed.protocol) ||
    parsed.username ||
    parsed.password ||
    parsed.search ||
    parsed.hash
  ) {
    throw invalid('invalid_base_url', 'baseUrl must be an http(s) URL without credentials, query or fragment.');
  }
  return parsed.toString().replace(/\/+$/, '');
}

/**
 * Upstream API vendors: registration, key rotation, models, vendor costs. The key is sealed
 * (AES-256-GCM under Secrets.key('upstream-key-seal'), bound to the upstream id and key version)
 * into upstream_credentials before the event that names its version is appended; it is returned by
 * no route, written to no event or log, and opened only by the router's registry.
 */
@Injectable()
export class UpstreamsService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(KYSELY) private readonly db: Kysely<Database>,
    @Inject(SECRETS) private readonly secrets: Secrets,
    private readonly endpoints: NodeEndpointGuard,
    private readonly registry: NodeRegistry,
  ) {}

  async register(input: RegisterUpstreamInput, context: CommandContext): Promise<UpstreamView> {
    const baseUrl = checkBaseUrl(input.baseUrl);
    const apiKey = checkApiKey(input.apiKey);
    checkModels(input.models);
    await this.endpoints.checkEndpoint(baseUrl);
    const count = await this.db
      .selectFrom('upstream_providers')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('status', '=', 'active')
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= UPSTREAMS_MAX) throw invalid('too_many_upstreams', `At most ${UPSTREAMS_MAX} active upstream providers.`);
    const upstreamId = `up_${base62(12)}`;
    await this.storeKey(upstreamId, 1, apiKey);
    await handleCommand(
      this.store,
      upstreamStream(upstreamId),
      upstreamDecider,
      { type: 'RegisterUpstream', upstreamId, name: String(input.name ?? ''), baseUrl, models: input.models as UpstreamModel[], at: context.occurredAt },
      context,
    );
    return this.settled(upstreamId, () => true);
  }

  /** The new key is used from the next registry refresh on every instance (at once on this one); the old one is deleted. */
  async rotateKey(upstreamId: string, apiKey: unknown, context: CommandContext): Promise<UpstreamView> {
    const key = checkApiKey(apiKey);
    const current = await this.row(upstreamId);
    const next = current.key_version + 1;
    // Stored before the event, so the key is there when the rotation is seen; taken back if it is refused.
    await this.storeKey(upstreamId, next, key);
    const { events } = await handleCommand(this.store, upstreamStream(upstreamId), upstreamDecider, { type: 'RotateUpstreamKey', at: context.occurredAt }, context).catch(
      async (err: unknown) => {
        // A refusal (retired, unknown) means no rotation can take this version: the sealed key must not outlive it.
        if (err instanceof DomainError) await this.db.deleteFrom('upstream_credentials').where('upstream_id', '=', upstreamId).where('key_version', '=', next).execute();
        throw err;
      },
    );
    const version = (events[0]?.data as { keyVersion?: number } | undefined)?.keyVersion ?? next;
    if (version !== next) await this.storeKey(upstreamId, version, key); // a concurrent rotation took `next`
    await this.db.deleteFrom('upstream_credentials').where('upstream_id', '=', upstreamId).where('key_version', '<', version).execute();
    return this.settled(upstreamId, (v) => v.keyVersion >= version);
  }

  async updateModels(upstreamId: string, models: unknown, context: CommandContext): Promise<UpstreamView> {
    await this.row(upstreamId);
    await handleCommand(this.store, upstreamStream(upstreamId), upstreamDecider, { type: 'UpdateUpstreamModels', models: checkModels(models), at: context.occurredAt }, context);
    return this.settled(upstreamId, (v) => Date.parse(v.updatedAt) >= Date.parse(context.occurredAt));
  }

  async setCost(upstreamId: string, input: SetUpstreamCostInput, context: CommandContext): Promise<UpstreamView> {
    await this.row(upstreamId);
    const { events } = await handleCommand(
      this.store,
      upstreamStream(upstreamId),
      upstreamDecider,
      {
        type: 'SetUpstreamCost',
        model: input.model,
        inputMicroUsdPerMTok: input.inputMicroUsdPerMTok,
        outputMicroUsdPerMTok: input.outputMicroUsdPerMTok,
        perImageMicroUsd: input.perImageMicroUsd ?? null,
        effectiveAt: input.effectiveAt ? parseInstant(input.effectiveAt, 'effectiveAt', 'invalid_effective_time').toISOString() : context.occurredAt,
        at: context.occurredAt,
      },
      context,
    );
    const version = (events[0]?.data as { version?: number } | undefined)?.version ?? 0;
    return this.settled(upstreamId, (v) => v.costs.some((c) => c.model === input.model && c.version >= version));
  }

  async retire(upstreamId: string, context: CommandContext): Promise<void> {
    await this.row(upstreamId);
    await handleCommand(this.store, upstreamStream(upstreamId), upstreamDecider, { type: 'RetireUpstream', at: context.occurredAt }, context);
    await this.db.deleteFrom('upstream_credentials').where('upstream_id', '=', upstreamId).execute();
    await this.registry.reload().catch(() => undefined);
  }

  async list(): Promise<UpstreamView[]> {
    const rows = await this.db
      .selectFrom('upstream_providers')
      .selectAll()
      .orderBy('registered_at', 'desc')
      .limit(UPSTREAMS_MAX * 5)
      .execute();
    const costs = await this.db.selectFrom('upstream_costs').selectAll().orderBy('version').execute();
    return rows.map((r) =>
      view(
        r,
        costs.filter((c) => c.upstream_id === r.upstream_id),
      ),
    );
  }

  /** After a write: the read model showing it (waited for ≤ 2 s), and this instance's router reloaded. */
  private async settled(upstreamId: string, done: (view: UpstreamView) => boolean): Promise<UpstreamView> {
    let current = await this.get(upstreamId);
    for (let i = 0; i < 40 && !done(current); i++) {
      await new Promise((r) => setTimeout(r, 50));
      current = await this.get(upstreamId);
    }
    await this.registry.reload().catch(() => undefined);
    return current;
  }

  async get(upstreamId: string): Promise<UpstreamView> {
    const r = await this.row(upstreamId);
    const costs = await this.db.selectFrom('upstream_costs').selectAll().where('upstream_id', '=', upstreamId).orderBy('model').orderBy('version').execute();
    return view(r, costs);
  }

  private async storeKey(upstreamId: string, version: number, apiKey: string): Promise<void> {
    const sealed = sealWithKey(this.secrets.key('upstream-key-seal'), `${upstreamId}.${version}`, apiKey);
    await this.db
      .insertInto('upstream_credentials')
      .values({ upstream_id: upstreamId, key_version: version, sealed_key: sealed })
      .onConflict((oc) => oc.columns(['upstream_id', 'key_version']).doUpdateSet({ sealed_key: sealed }))
      .execute();
  }

  private async row(upstreamId: string) {
    if (!UPSTREAM_ID_PATTERN.test(upstreamId)) throw notFound('upstream_not_found', 'No such upstream provider.');
    // The read model may lag the event just appended by a moment.
    for (let i = 0; i < 40; i++) {
      const row = await this.db.selectFrom('upstream_providers').selectAll().where('upstream_id', '=', upstreamId).executeTakeFirst();
      if (row) return row;
      const exists = await this.store
        .readStream(upstreamStream(upstreamId), { maxCount: 1 })
        .then((e) => e.length > 0)
        .catch(() => false);
      if (!exists) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw notFound('upstream_not_found', 'No such upstream provider.');
  }
}

function view(row: Selectable<UpstreamProvidersTable>, costs: ReadonlyArray<Selectable<UpstreamCostsTable>>): UpstreamView {
  return {
    id: row.upstream_id,
    name: row.name,
    baseUrl: row.base_url,
    status: row.status,
    models: Array.isArray(row.models) ? row.models : [],
    keyVersion: row.key_version,
    registeredAt: row.registered_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    costs: costs.map((c) => ({
      model: c.model,
      version: c.version,
      inputMicroUsdPerMTok: String(c.input_micro_usd_per_mtok),
      outputMicroUsdPerMTok: String(c.output_micro_usd_per_mtok),
      perImageMicroUsd: c.per_image_micro_usd === null ? null : String(c.per_image_micro_usd),
      effectiveAt: c.effective_at.toISOString(),
    })),
  };
}
