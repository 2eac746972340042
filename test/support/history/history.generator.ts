/**
 * A large, realistic event history for rebuild benchmarks and tests, made the way the app makes
 * it: every event comes out of the real decider for its stream (accounts, API keys, credits,
 * payments, nodes, prices, usage charges with their postings), personal fields are sealed by the
 * real PersonalDataVault and identifiers hashed with the real Secrets. Only the I/O is skipped:
 * stream state is kept in memory instead of being loaded, and events are handed out in chunks
 * for a bulk insert (history.writer.ts) instead of being appended one command at a time.
 *
 * The mix follows production: mostly `UsageRecorded` charges in per-day usage streams, accounts
 * registering through the whole period, top-ups through Razorpay orders when credits run low,
 * nodes going offline and back, the odd key rotation, profile edit and price change.
 * Time is derived from progress (event k of N happens at k/N of the period), so usage is spread
 * evenly over the days and `created_at` rises with the position, as it does in a real store.
 */
import { AccountCommand, accountDecider } from '../../../src/accounts/account.decide';
import { accountStream } from '../../../src/accounts/account.events';
import { identityStream } from '../../../src/accounts/identity';
import { ApiKeyCommand, apiKeyDecider } from '../../../src/api-keys/api-key.decide';
import { apiKeyStream } from '../../../src/api-keys/api-key.events';
import { CommandContext, Decider, DomainEvent } from '../../../src/platform/event-sourcing/decider';
import { EventMetadata, JsonObject } from '../../../src/platform/event-store/event-store.port';
import { costMicroUsd } from '../../../src/pricing/cost';
import type { ModelPrice } from '../../../src/pricing/price-book';
import { CreditsCommand, creditsDecider } from '../../../src/ledger/credits/credits.decide';
import { creditsStream } from '../../../src/ledger/credits.events';
import { UsageEndpoint, usageEventId, usageStream, UsageStatus } from '../../../src/metering/usage.events';
import { usageChargeDecider } from '../../../src/metering/usage-charge.decide';
import { NodeCommand, nodeDecider } from '../../../src/nodes/node.decide';
import { nodeStream } from '../../../src/nodes/node.events';
import { PaymentCommand, paymentDecider } from '../../../src/payments/payment-order/payment.decide';
import { paymentStream } from '../../../src/payments/payment.events';
import { PersonalDataVault } from '../../../src/platform/personal-data/personal-data.vault';
import { PriceCommand, priceDecider } from '../../../src/pricing/price.decide';
import { priceStream } from '../../../src/pricing/price.events';
import { Secrets } from '../../../src/platform/security/secrets';
import { SeededRandom } from './seeded-random';

/** One row of the events table, as the PostgreSQL adapter writes it (positions are the table's). */
export interface HistoryEvent {
  stream: string;
  revision: number;
  id: string;
  type: string;
  data: JsonObject;
  metadata: EventMetadata;
  createdAt: Date;
}

export interface HistoryOptions {
  /** Events to generate (the last action may add a few more: a top-up is never cut in half). */
  events: number;
  seed?: number;
  days?: number;
  start?: Date;
  /** Events per chunk handed to the writer. */
  chunkSize?: number;
  vault: PersonalDataVault;
  secrets: Secrets;
  /** PROVIDER_SHARE_BPS and FREE_TIER_USD as the app's defaults have them. */
  providerShareBps?: number;
  freeTierMicroUsd?: bigint;
  /** One real password hash (scrypt costs ≈ 50–100 ms, too slow to compute per account). */
  passwordHash: string;
}

/** What was generated, counted while generating; tests check read models against the events themselves. */
export interface HistoryStats {
  events: number;
  byType: Map<string, number>;
  accounts: number;
  providers: number;
  nodes: number;
  apiKeys: number;
  purchases: number;
}

const MODELS: { id: string; input: bigint; output: bigint; endpoint: UsageEndpoint; weight: number }[] = [
  { id: 'meta-llama/Llama-3.3-70B-Instruct', input: 590_000n, output: 790_000n, endpoint: 'chat.completions', weight: 30 },
  { id: 'meta-llama/Llama-3.1-8B-Instruct', input: 180_000n, output: 180_000n, endpoint: 'chat.completions', weight: 20 },
  { id: 'Qwen/Qwen2.5-72B-Instruct', input: 1_200_000n, output: 1_200_000n, endpoint: 'chat.completions', weight: 15 },
  { id: 'deepseek-ai/DeepSeek-V3', input: 1_250_000n, output: 2_500_000n, endpoint: 'chat.completions', weight: 15 },
  { id: 'meta-llama/Llama-3.1-405B-Instruct', input: 3_500_000n, output: 3_500_000n, endpoint: 'chat.completions', weight: 8 },
  { id: 'mistralai/Mixtral-8x22B-Instruct-v0.1', input: 1_200_000n, output: 1_200_000n, endpoint: 'completions', weight: 5 },
  { id: 'BAAI/bge-large-en-v1.5', input: 20_000n, output: 0n, endpoint: 'embeddings', weight: 7 },
];
const GPUS: [string, number][] = [
  ['NVIDIA H100 80GB', 80],
  ['NVIDIA A100 80GB', 80],
  ['NVIDIA L40S', 48],
  ['NVIDIA RTX 4090', 24],
];
const REGIONS = ['eu-west', 'us-east', 'us-west', 'ap-south', 'ap-southeast'];
const TOP_UPS_USD = [5, 10, 10, 20, 20, 50, 100];
const DAY_MS = 86_400_000;

interface Account {
  id: string;
  weight: number;
  keys: string[];
  balance: bigint;
}

interface Node {
  id: string;
  providerId: string;
  models: string[];
  online: boolean;
}

/** Chunks of events in $all order. */
export class HistoryGenerator {
  readonly stats: HistoryStats = { events: 0, byType: new Map(), accounts: 0, providers: 0, nodes: 0, apiKeys: 0, purchases: 0 };
  private readonly rnd: SeededRandom;
  private readonly target: number;
  private readonly startMs: number;
  private readonly spanMs: number;
  private readonly chunkSize: number;
  private readonly shareBps: number;
  private readonly freeTier: bigint;
  private readonly revisions = new Map<string, number>();
  private readonly states = new Map<string, unknown>();
  private readonly accounts: Account[] = [];
  /** Running sum of account weights, for a weighted pick in O(log n). */
  private readonly cumulative: number[] = [];
  private readonly nodes: Node[] = [];
  private readonly prices = new Map<string, ModelPrice>();
  private chunk: HistoryEvent[] = [];
  private clockMs: number;
  private accountSeq = 0;

  constructor(private readonly options: HistoryOptions) {
    this.rnd = new SeededRandom(options.seed ?? 42);
    this.target = options.events;
    this.startMs = (options.start ?? new Date(Date.UTC(2025, 0, 1))).getTime();
    this.spanMs = (options.days ?? 30) * DAY_MS;
    this.chunkSize = options.chunkSize ?? 5_000;
    this.shareBps = options.providerShareBps ?? 7_000;
    this.freeTier = options.freeTierMicroUsd ?? 1_000_000n;
    this.clockMs = this.startMs;
  }

  async *chunks(): AsyncGenerator<HistoryEvent[]> {
    // One account per ~150 events gives ~95% usage once sign-ups, keys and top-ups are counted.
    const accountsTarget = Math.max(10, Math.round(this.target / 150));
    const providers = Math.max(2, Math.round(accountsTarget / 100));
    for (const model of MODELS) this.setPrice(model.id, model.input, model.output);
    for (let p = 0; p < providers; p++) await this.registerProvider();
    const upfront = Math.round(accountsTarget * 0.3);
    for (let a = 0; a < upfront; a++) {
      await this.registerDeveloper();
      if (this.chunk.length >= this.chunkSize) yield this.take();
    }
    const pRegister = (accountsTarget - upfront) / this.target;
    const pNodeFlap = Math.min(0.01, (this.nodes.length * (this.spanMs / DAY_MS) * 2) / this.target);
    const pRare = (0.1 * accountsTarget) / this.target;
    const priceChanges = [Math.round(this.target / 3), Math.round((this.target * 2) / 3)];
    while (this.stats.events < this.target) {
      this.tick();
      if (priceChanges.length > 0 && this.stats.events >= priceChanges[0]) {
        priceChanges.shift();
        const model = this.rnd.pick(MODELS);
        const old = this.prices.get(model.id) as ModelPrice;
        this.setPrice(model.id, (old.inputMicroUsdPerMTok * 9n) / 10n, (old.outputMicroUsdPerMTok * 9n) / 10n);
      }
      const r = this.rnd.next();
      if (r < pRegister) await this.registerDeveloper();
      else if (r < pRegister + pNodeFlap) this.flapNode();
      else if (r < pRegister + pNodeFlap + pRare) this.rotateKey();
      else if (r < pRegister + pNodeFlap + 2 * pRare) await this.updateProfile();
      else this.request();
      if (this.chunk.length >= this.chunkSize) yield this.take();
    }
    if (this.chunk.length > 0) yield this.take();
  }

  // -------------------------------------------------------------------------------------------
  // Actions

  private async registerDeveloper(): Promise<Account> {
    const account = await this.registerAccount('developer');
    this.issueKey(account);
    if (this.rnd.next() < 0.3) this.issueKey(account);
    this.credits(account, { type: 'GrantFreeTier', accountId: account.id, amountMicroUsd: this.freeTier, at: this.at() }, this.system('free-tier'));
    return account;
  }

  private async registerProvider(): Promise<void> {
    const provider = await this.registerAccount('provider');
    const at = this.at(1_000);
    this.run(
      accountStream(provider.id),
      accountDecider as Decider<unknown, AccountCommand, DomainEvent>,
      { type: 'GrantRole', role: 'provider', viaInvite: true, at },
      { actorId: provider.id, occurredAt: at },
    );
    this.stats.providers++;
    for (let n = this.rnd.int(1, 3); n > 0; n--) this.registerNode(provider.id);
  }

  private async registerAccount(kind: 'developer' | 'provider'): Promise<Account> {
    const index = this.accountSeq++;
    const id = this.rnd.uuid();
    const email = `${kind}${index}@example.com`;
    const via = this.rnd.next() < 0.6 ? 'password' : 'google';
    const at = this.at(this.rnd.int(0, 60_000));
    const emailHash = this.options.secrets.hash('identity-hash', `email:${email}`);
    const context = { actorId: 'self', occurredAt: at };
    this.emit(identityStream(emailHash), 'IdentityClaimed', { accountId: id, kind: 'email', claimedAt: at }, context, this.rnd.uuid());
    const vault = this.options.vault;
    this.run(
      accountStream(id),
      accountDecider as Decider<unknown, AccountCommand, DomainEvent>,
      {
        type: 'RegisterAccount',
        accountId: id,
        emailHash,
        email: await vault.seal(id, email),
        displayName: await vault.seal(id, `${kind === 'provider' ? 'Provider' : 'Developer'} ${index}`),
        picture: via === 'google' ? await vault.seal(id, `https://lh3.googleusercontent.com/a/${this.rnd.base62(20)}`) : null,
        via,
        roles: [],
        passwordHash: via === 'password' ? this.options.passwordHash : null,
        eligibility: { over18: true, termsVersion: '1', privacyVersion: '1', attestedAt: at },
        at,
      },
      context,
    );
    // Activity is long-tailed: a few accounts make most of the requests.
    const account: Account = { id, weight: this.rnd.logNormal(1, 1.3), keys: [], balance: 0n };
    if (kind === 'developer') {
      this.accounts.push(account);
      this.cumulative.push((this.cumulative[this.cumulative.length - 1] ?? 0) + account.weight);
    }
    this.stats.accounts++;
    return account;
  }

  private issueKey(account: Account, rotatedFrom: string | null = null): string {
    const keyId = this.rnd.base62(12);
    const prefix = `tg_live_${keyId}`;
    const at = this.at(this.rnd.int(1_000, 30_000));
    this.run(
      apiKeyStream(keyId),
      apiKeyDecider as Decider<unknown, ApiKeyCommand, DomainEvent>,
      {
        type: 'IssueApiKey',
        keyId,
        accountId: account.id,
        name: rotatedFrom ? 'rotated' : this.rnd.pick(['default', 'production', 'staging', 'my laptop', 'ci']),
        prefix,
        keyHash: this.options.secrets.hash('api-key-hash', `${prefix}_${this.rnd.base62(32)}`),
        expiresAt: null,
        limits: this.rnd.next() < 0.2 ? { requestsPerMinute: 600, tokensPerMinute: 1_000_000 } : { requestsPerMinute: null, tokensPerMinute: null },
        rotatedFrom,
        at,
      },
      { actorId: account.id, occurredAt: at },
    );
    account.keys.push(keyId);
    this.stats.apiKeys++;
    return keyId;
  }

  private rotateKey(): void {
    if (this.accounts.length === 0) return;
    const account = this.pickAccount();
    const old = account.keys[0];
    const replacement = this.issueKey(account, old);
    const at = this.at(5);
    this.run(
      apiKeyStream(old),
      apiKeyDecider as Decider<unknown, ApiKeyCommand, DomainEvent>,
      { type: 'RevokeApiKey', reason: 'rotated', replacedBy: replacement, at },
      { actorId: account.id, occurredAt: at },
    );
    account.keys.shift();
  }

  private async updateProfile(): Promise<void> {
    if (this.accounts.length === 0) return;
    const account = this.pickAccount();
    const at = this.at();
    const displayName = await this.options.vault.seal(account.id, `Renamed ${this.rnd.base62(6)}`);
    this.run(
      accountStream(account.id),
      accountDecider as Decider<unknown, AccountCommand, DomainEvent>,
      { type: 'UpdateProfile', displayName, at },
      { actorId: account.id, occurredAt: at },
    );
  }

  private registerNode(providerId: string): void {
    const id = this.rnd.base62(12);
    const [gpu, memory] = this.rnd.pick(GPUS);
    const models = [
      ...new Set(
        [
          this.rnd.weighted(
            MODELS,
            MODELS.map((m) => m.weight),
          ).id,
          this.rnd.pick(MODELS).id,
          this.rnd.pick(MODELS).id,
        ].slice(0, this.rnd.int(1, 3)),
      ),
    ];
    const run = (command: NodeCommand, at: string) =>
      this.run(nodeStream(id), nodeDecider as Decider<unknown, NodeCommand, DomainEvent>, command, { actorId: providerId, occurredAt: at });
    const at = this.at(this.rnd.int(1_000, 60_000));
    run(
      {
        type: 'RegisterNode',
        nodeId: id,
        providerId,
        name: `gpu-${this.rnd.base62(4).toLowerCase()}`,
        hardware: { gpuModel: gpu, gpuMemoryGb: memory, region: this.rnd.pick(REGIONS) },
        endpointUrl: `https://${id.toLowerCase()}.nodes.example.net`,
        models: models.map((m) => ({ id: m, contextLength: 131_072 })),
        tokenHash: this.options.secrets.hash('node-token', `tg_node_${id}_${this.rnd.base62(32)}`),
        at,
      },
      at,
    );
    const approvedAt = this.at(this.rnd.int(60_000, 3_600_000));
    this.run(nodeStream(id), nodeDecider as Decider<unknown, NodeCommand, DomainEvent>, { type: 'ApproveNode', at: approvedAt }, { actorId: 'admin', occurredAt: approvedAt });
    const onlineAt = this.at(this.rnd.int(1_000, 10_000));
    run({ type: 'RecordNodeOnline', at: onlineAt }, onlineAt);
    this.nodes.push({ id, providerId, models, online: true });
    this.stats.nodes++;
  }

  private flapNode(): void {
    const node = this.rnd.pick(this.nodes);
    const at = this.at();
    const command: NodeCommand = node.online
      ? { type: 'RecordNodeOffline', lastHeartbeatAt: new Date(Date.parse(at) - 30_000).toISOString(), at }
      : { type: 'RecordNodeOnline', at };
    this.run(nodeStream(node.id), nodeDecider as Decider<unknown, NodeCommand, DomainEvent>, command, { actorId: 'system:node-sweep', occurredAt: at });
    node.online = !node.online;
  }

  private setPrice(model: string, input: bigint, output: bigint): void {
    const at = this.at();
    const events = this.run(
      priceStream(model),
      priceDecider as Decider<unknown, PriceCommand, DomainEvent>,
      { type: 'SetModelPrice', model, inputMicroUsdPerMTok: input, outputMicroUsdPerMTok: output, perImageMicroUsd: null, effectiveAt: at, at },
      { actorId: 'admin', occurredAt: at },
    );
    const version = events[0].data.version as number;
    this.prices.set(model, { model, inputMicroUsdPerMTok: input, outputMicroUsdPerMTok: output, perImageMicroUsd: null, effectiveAt: at, version });
  }

  /** One metered request: the charge through the real usage decider, a top-up first when credits ran low. */
  private request(): void {
    if (this.accounts.length === 0) return;
    const account = this.pickAccount();
    // The router only sends a request to an online node serving the model.
    const online = this.nodes.filter((n) => n.online);
    const offered = MODELS.filter((m) => online.some((n) => n.models.includes(m.id)));
    if (offered.length === 0) return;
    const model = this.rnd.weighted(
      offered,
      offered.map((m) => m.weight),
    );
    const node = this.rnd.pick(online.filter((n) => n.models.includes(model.id)));
    const roll = this.rnd.next();
    const status: UsageStatus = roll < 0.015 ? 'client_disconnected' : roll < 0.02 ? 'upstream_failed' : 'completed';
    const inputTokens = Math.min(120_000, Math.round(this.rnd.logNormal(1_200, 1.1)));
    const outputTokens = model.endpoint === 'embeddings' ? 0 : Math.min(8_000, Math.round(this.rnd.logNormal(300, 0.9) * (status === 'completed' ? 1 : 0.3)));
    const cost = costMicroUsd(this.prices.get(model.id) as ModelPrice, inputTokens, outputTokens, 0);
    if (account.balance < cost) this.topUp(account);
    const at = this.at();
    const requestId = `req_${this.rnd.hex(32)}`;
    const keyId = this.rnd.pick(account.keys);
    const [event] = usageChargeDecider.decide(
      {
        type: 'RecordUsage',
        requestId,
        accountId: account.id,
        keyId,
        model: model.id,
        endpoint: model.endpoint,
        nodeId: node.id,
        providerId: node.providerId,
        status,
        inputTokens,
        outputTokens,
        images: 0,
        estimated: status !== 'completed' && this.rnd.next() < 0.5,
        ttftMs: Math.round(this.rnd.logNormal(250, 0.6)),
        latencyMs: Math.round(this.rnd.logNormal(900, 0.8) + outputTokens * 15),
        costMicroUsd: cost,
        providerShareBps: this.shareBps,
        at,
      },
      usageChargeDecider.initialState(),
    ); // as the recorder does: the event id, from the request id, makes a repeat a no-op
    account.balance -= cost;
    this.emit(usageStream(account.id, at), event.type, event.data, { actorId: `apikey:${keyId}`, occurredAt: at, correlationId: requestId }, usageEventId(requestId));
  }

  /** A Razorpay top-up: order, checkout callback, payment observed (authorised, captured), credited. */
  private topUp(account: Account): void {
    const usd = this.rnd.pick(TOP_UPS_USD);
    const amountMicroUsd = BigInt(usd) * 1_000_000n;
    const orderId = `order_${this.rnd.base62(14)}`;
    const paymentId = `pay_${this.rnd.base62(14)}`;
    const user = (at: string): CommandContext => ({ actorId: account.id, occurredAt: at });
    const pay = (command: PaymentCommand, context: CommandContext) =>
      this.run(paymentStream(orderId), paymentDecider as Decider<unknown, PaymentCommand, DomainEvent>, command, context);
    let at = this.at();
    pay({ type: 'CreateOrder', orderId, accountId: account.id, amountMicroUsd, amountCents: usd * 100, currency: 'USD', receipt: `tg_${this.rnd.hex(24)}`, at }, user(at));
    at = this.at(this.rnd.int(20_000, 120_000));
    pay({ type: 'VerifyCheckout', orderId, paymentId, at }, user(at));
    const webhook = (when: string): CommandContext => ({ actorId: 'system:razorpay', occurredAt: when, correlationId: `evt_${this.rnd.base62(14)}` });
    if (this.rnd.next() < 0.5) {
      at = this.at(this.rnd.int(100, 2_000));
      pay({ type: 'ObservePayment', orderId, paymentId, status: 'authorized', captured: false, amountCents: usd * 100, currency: 'USD', errorReason: null, at }, webhook(at));
    }
    at = this.at(this.rnd.int(100, 2_000));
    const context = webhook(at);
    pay({ type: 'ObservePayment', orderId, paymentId, status: 'captured', captured: true, amountCents: usd * 100, currency: 'USD', errorReason: null, at }, context);
    this.credits(account, { type: 'RecordPurchase', accountId: account.id, paymentId, orderId, amountMicroUsd, at }, context);
    pay({ type: 'RecordCredit', orderId, paymentId, amountMicroUsd, at }, context);
    this.states.delete(paymentStream(orderId)); // a settled order is never touched again here
    this.stats.purchases++;
  }

  private credits(account: Account, command: CreditsCommand, context: CommandContext): void {
    const events = this.run(creditsStream(account.id), creditsDecider as Decider<unknown, CreditsCommand, DomainEvent>, command, context);
    for (const e of events) if (typeof e.data.amountMicroUsd === 'string') account.balance += BigInt(e.data.amountMicroUsd);
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  /** decide → append → evolve, as handleCommand does, on state kept in memory. */
  private run<C>(stream: string, decider: Decider<unknown, C, DomainEvent>, command: C, context: CommandContext): DomainEvent[] {
    let state = this.states.has(stream) ? this.states.get(stream) : decider.initialState();
    const events = decider.decide(command, state);
    for (const e of events) {
      this.emit(stream, e.type, e.data, { ...context }, this.rnd.uuid());
      state = decider.evolve(state, e);
    }
    this.states.set(stream, state);
    return events;
  }

  private emit(stream: string, type: string, data: JsonObject, metadata: EventMetadata, id: string): void {
    const revision = (this.revisions.get(stream) ?? -1) + 1;
    this.revisions.set(stream, revision);
    this.chunk.push({ stream, revision, id, type, data, metadata, createdAt: new Date(this.clockMs) });
    this.stats.events++;
    this.stats.byType.set(type, (this.stats.byType.get(type) ?? 0) + 1);
  }

  /** Moves the clock to where this much progress puts it (never backwards). */
  private tick(): void {
    this.clockMs = Math.max(this.clockMs, this.startMs + Math.floor((this.spanMs * this.stats.events) / this.target));
  }

  /** The time of the next step of an action, `afterMs` after the previous one. */
  private at(afterMs = 0): string {
    this.clockMs += afterMs;
    return new Date(this.clockMs).toISOString();
  }

  private pickAccount(): Account {
    const total = this.cumulative[this.cumulative.length - 1];
    const r = this.rnd.next() * total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] > r) hi = mid;
      else lo = mid + 1;
    }
    return this.accounts[lo];
  }

  private system(job: string): CommandContext {
    return { actorId: `system:${job}`, occurredAt: new Date(this.clockMs).toISOString() };
  }

  private take(): HistoryEvent[] {
    const out = this.chunk;
    this.chunk = [];
    return out;
  }
}
