import OpenAI from 'openai';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { CreditsService } from '../../src/ledger/credits.service';
import { BalanceFeeder } from '../../src/ledger/spending/balance-feeder';
import { NodeAgent } from '../../src/node-agent/node-agent';
import { ProviderInvitesService } from '../../src/nodes/invites/provider-invites.service';
import { NodesService } from '../../src/nodes/nodes.service';
import { createLogger } from '../../src/platform/observability/logger';
import { PricesService } from '../../src/pricing/prices.service';
import { Position } from '../../src/platform/event-store/event-store.port';
import { AuthTestApp, startAuthApp } from '../auth/auth-app';
import { TestConfigOverrides } from '../support/app';
import { EngineStandin, startEngine } from '../standins/gpu-engine/engine-standin';
import { eventually } from '../support/eventually';
import { freePort } from '../support/net';
import { AGREED, PROVIDER_TERMS_AGREED } from '../support/eligibility';

export const MODEL = 'tollgate-test/llama:8b';
/** $1 per million input tokens, $2 per million output tokens, 2 cents an image. */
export const PRICE = { inputMicroUsdPerMTok: 1_000_000n, outputMicroUsdPerMTok: 2_000_000n, perImageMicroUsd: 20_000n };
const PASSWORD = 'correct horse battery staple';
export const ctx = () => ({ actorId: 'operator:test', occurredAt: new Date().toISOString() });

export interface Developer {
  accountId: string;
  key: string;
  keyId: string;
  openai: OpenAI;
}

/** What the harness needs of an engine stand-in (engine-standin.ts, adversarial-engine.ts). */
export interface EngineLike {
  url: string;
  close(): Promise<void>;
}

export interface InferenceHarness<E extends EngineLike = EngineStandin> {
  t: AuthTestApp;
  providerId: string;
  nodeIds: string[];
  engines: E[];
  agents: NodeAgent[];
  /**
   * A developer with credits (whole USD, or `{ microUsd }`; spendable once this resolves) and an
   * API key, and an SDK client on it.
   */
  developer(credits: bigint | { microUsd: bigint }, limits?: { requestsPerMinute?: number | null; tokensPerMinute?: number | null }): Promise<Developer>;
  close(): Promise<void>;
}

export interface HarnessOptions<E extends EngineLike> {
  engines?: number;
  overrides?: TestConfigOverrides;
  /** The engine behind each node (default: the plain stand-in). */
  startEngine?: (i: number) => Promise<E>;
  /** The node agents' total bound per request. */
  agentMaxRequestMs?: number;
  /** Agents dial out (--tunnel) and listen on nothing; their nodes are registered tunnel-only (`tunnel:`: no address to dial). */
  tunnel?: boolean;
  /** Where the agents find the gateway (default: the app's URL), e.g. a load balancer in front of several instances. */
  agentGatewayUrl?: (appUrl: string) => string;
}

let counter = 0;

/**
 * A running Tollgate with a provider's GPU nodes: engine stand-ins (OpenAI protocol) behind real
 * node agents, registered, approved, heartbeating and priced — what the demo does, in-process.
 */
export async function startInferenceHarness<E extends EngineLike = EngineStandin>(label: string, options: HarnessOptions<E> = {}): Promise<InferenceHarness<E>> {
  const t = await startAuthApp(label, {
    // A heartbeat every 100 ms, live for 5 s: a busy moment on a shared 2-core machine must not take a suite's only node offline.
    nodes: {
      heartbeatIntervalMs: 100,
      heartbeatTtlMs: 5_000,
      sweepIntervalMs: 200,
      registryRefreshMs: 50,
      priceRefreshMs: 50,
      cooldownBaseMs: 200,
      cooldownMaxMs: 1_000,
      attemptTimeoutMs: 2_000,
    },
    ...options.overrides,
  } as TestConfigOverrides);
  const app = t.app;
  const accounts = app.get(AccountsService);
  const { accountId: providerId } = await accounts.register({ email: `provider-${label}@example.com`, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: [] }, ctx());
  const invite = await app.get(ProviderInvitesService).issue(`provider-${label}@example.com`, ctx());
  await app.get(ProviderInvitesService).accept(providerId, invite.token, ctx(), PROVIDER_TERMS_AGREED);
  await app.get(PricesService).set({ model: MODEL, ...PRICE }, ctx());

  const engines: E[] = [];
  const start = options.startEngine ?? ((i: number) => startEngine({ models: [MODEL], name: `engine-${i}` }) as unknown as Promise<E>);
  const agents: NodeAgent[] = [];
  const nodeIds: string[] = [];
  for (let i = 0; i < (options.engines ?? 1); i++) {
    const engine = await start(i);
    const port = await freePort();
    const { nodeId, token } = await app
      .get(NodesService)
      .register(providerId, { name: `node-${i}`, endpointUrl: options.tunnel ? 'tunnel:' : `http://127.0.0.1:${port}`, models: [{ id: MODEL, contextLength: 8_192 }] }, ctx());
    await app.get(NodesService).approve(nodeId, ctx());
    const agent = new NodeAgent({
      gatewayUrl: options.agentGatewayUrl?.(t.url) ?? t.url,
      nodeToken: token,
      engineUrl: engine.url,
      engineApiKey: null,
      host: '127.0.0.1',
      port,
      maxConcurrency: 64,
      maxQueue: 256,
      heartbeatIntervalMs: null,
      maxRequestMs: options.agentMaxRequestMs,
      tunnel: options.tunnel,
      tunnelBackoffMs: { base: 50, max: 400 },
      logger: createLogger('silent'),
    });
    await agent.start();
    engines.push(engine);
    agents.push(agent);
    nodeIds.push(nodeId);
  }
  await t.caughtUp();

  const harness: InferenceHarness<E> = {
    t,
    providerId,
    nodeIds,
    engines,
    agents,
    async developer(credits, limits = {}) {
      const n = ++counter;
      const { accountId } = await accounts.register({ email: `dev${n}-${label}@example.com`, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: [] }, ctx());
      const microUsd = typeof credits === 'bigint' ? credits * 1_000_000n : credits.microUsd;
      if (microUsd > 0n) {
        const { position } = await app.get(CreditsService).grant(accountId, microUsd, 'test credits', ctx());
        await app.get(BalanceFeeder).waitUntilPassed(position as Position);
      }
      await t.caughtUp();
      const { key, apiKey } = await app.get(ApiKeysService).issue(accountId, { name: 'test', limits: limits }, ctx());
      const openai = new OpenAI({ apiKey: key, baseURL: `${t.url}/v1`, maxRetries: 0, timeout: 20_000 });
      return { accountId, key, keyId: apiKey.id, openai };
    },
    async close() {
      for (const a of agents) await a.stop();
      for (const e of engines) await e.close();
      await t.close();
    },
  };
  // Routable once an agent has heartbeated: the catalog lists the model.
  const probe = await harness.developer(0n);
  await eventually(
    async () => {
      const models = await probe.openai.models.list();
      if (!models.data.some((m) => m.id === MODEL)) throw new Error('model not live yet');
    },
    10_000,
    50,
  );
  return harness;
}
