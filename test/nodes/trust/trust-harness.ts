import OpenAI from 'openai';
import { AccountsService } from '../../../src/accounts/accounts.service';
import { Role } from '../../../src/platform/access/roles';
import { ApiKeysService } from '../../../src/api-keys/api-keys.service';
import { loadConfig } from '../../../src/platform/config/config';
import { Position } from '../../../src/platform/event-store/event-store.port';
import { CreditsService } from '../../../src/ledger/credits.service';
import { BalanceFeeder } from '../../../src/ledger/spending/balance-feeder';
import { NodeAgent } from '../../../src/node-agent/node-agent';
import { ProviderInvitesService } from '../../../src/nodes/invites/provider-invites.service';
import { NodesService } from '../../../src/nodes/nodes.service';
import { NodeLiveness } from '../../../src/nodes/routing/node-liveness';
import { createLogger } from '../../../src/platform/observability/logger';
import { PricesService } from '../../../src/pricing/prices.service';
import { AuthTestApp, startAuthApp } from '../../auth/auth-app';
import { TestConfigOverrides } from '../../support/app';
import { Browser } from '../../support/browser';
import { eventually } from '../../support/eventually';
import { freePort } from '../../support/net';
import { ModelStandin, startModelStandin } from '../../standins/gpu-engine/model-standin';
import { AGREED, PROVIDER_TERMS_AGREED } from '../../support/eligibility';
import { signIn } from '../../support/sign-in';

export const PASSWORD = 'correct horse battery staple';
/** $1 per million input tokens, $2 per million output tokens. */
export const PRICE = { inputMicroUsdPerMTok: 1_000_000n, outputMicroUsdPerMTok: 2_000_000n, perImageMicroUsd: null };
export const ctx = () => ({ actorId: 'operator:test', occurredAt: new Date().toISOString() });

export interface TrustNode {
  nodeId: string;
  providerId: string;
  models: string[];
  engine: ModelStandin;
  agent: NodeAgent;
}

export interface TrustApp {
  t: AuthTestApp;
  /** A provider (invited, accepted) signed in in a browser. */
  provider(name: string): Promise<{ providerId: string; browser: Browser }>;
  staff(name: string, roles: Role[]): Promise<{ accountId: string; browser: Browser }>;
  /** A model stand-in behind a real node agent, registered, approved (unless told not to) and heartbeating. */
  node(providerId: string, models: string[], options?: { approve?: boolean; seed?: number }): Promise<TrustNode>;
  developer(creditsUsd: bigint): Promise<{ accountId: string; key: string; openai: OpenAI }>;
  close(): Promise<void>;
}

/**
 * A running Tollgate (role all: API, projections, workers) with node-trust settings from
 * environment-style strings, as an operator would set them; models are priced on first use.
 */
export async function startTrustApp(label: string, env: Record<string, string>, overrides: TestConfigOverrides = {}): Promise<TrustApp> {
  const nodeTrust = loadConfig({ PROBE_INTERVAL_MS: '0', ...env }).nodeTrust;
  const t = await startAuthApp(label, {
    // Heartbeats every 500 ms: a dozen agents at 100 ms would keep the one test process busy with them.
    nodes: {
      heartbeatIntervalMs: 500,
      heartbeatTtlMs: 3_000,
      sweepIntervalMs: 500,
      registryRefreshMs: 50,
      priceRefreshMs: 50,
      cooldownBaseMs: 200,
      cooldownMaxMs: 1_000,
      attemptTimeoutMs: 2_000,
    },
    nodeTrust,
    ...overrides,
  });
  const app = t.app;
  const accounts = app.get(AccountsService);
  const priced = new Set<string>();
  const nodes: TrustNode[] = [];
  let n = 0;
  return {
    t,
    async provider(name) {
      const email = `${name}-${label}@example.com`;
      const { accountId } = await accounts.register({ email, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: [] }, ctx());
      const invite = await app.get(ProviderInvitesService).issue(email, ctx());
      await app.get(ProviderInvitesService).accept(accountId, invite.token, ctx(), PROVIDER_TERMS_AGREED);
      return { providerId: accountId, browser: await signIn(t.url, email, { password: PASSWORD }) };
    },
    async staff(name, roles) {
      const email = `${name}-${label}@example.com`;
      const { accountId } = await accounts.register({ email, password: PASSWORD, via: 'cli', eligibility: AGREED, roles }, ctx());
      return { accountId, browser: await signIn(t.url, email, { password: PASSWORD }) };
    },
    async node(providerId, models, options = {}) {
      for (const model of models) {
        if (priced.has(model)) continue;
        await app.get(PricesService).set({ model, ...PRICE }, ctx());
        priced.add(model);
      }
      const i = ++n;
      const engine = await startModelStandin({ models, name: `engine-${i}`, seed: options.seed ?? i });
      const port = await freePort();
      const { nodeId, token } = await app
        .get(NodesService)
        .register(providerId, { name: `node-${i}`, endpointUrl: `http://127.0.0.1:${port}`, models: models.map((id) => ({ id, contextLength: 8_192 })) }, ctx());
      if (options.approve !== false) await app.get(NodesService).approve(nodeId, ctx());
      const agent = new NodeAgent({
        gatewayUrl: t.url,
        nodeToken: token,
        engineUrl: engine.url,
        engineApiKey: null,
        host: '127.0.0.1',
        port,
        maxConcurrency: 64,
        maxQueue: 256,
        heartbeatIntervalMs: null,
        logger: createLogger('silent'),
      });
      await agent.start();
      const node = { nodeId, providerId, models, engine, agent };
      nodes.push(node);
      await eventually(async () => {
        const state = (await app.get(NodeLiveness).read([nodeId], Date.now())).get(nodeId);
        if (!state?.alive || !models.every((m) => state.readyModels?.includes(m))) throw new Error('node not live yet');
      });
      await t.caughtUp();
      return node;
    },
    async developer(creditsUsd) {
      const i = ++n;
      const { accountId } = await accounts.register({ email: `dev${i}-${label}@example.com`, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: [] }, ctx());
      const { position } = await app.get(CreditsService).grant(accountId, creditsUsd * 1_000_000n, 'test credits', ctx());
      await app.get(BalanceFeeder).waitUntilPassed(position as Position);
      await t.caughtUp();
      const { key } = await app.get(ApiKeysService).issue(accountId, { name: 'test', limits: {} }, ctx());
      return { accountId, key, openai: new OpenAI({ apiKey: key, baseURL: `${t.url}/v1`, maxRetries: 0, timeout: 20_000 }) };
    },
    async close() {
      for (const node of nodes) await node.agent.stop();
      for (const node of nodes) await node.engine.close();
      await t.close();
    },
  };
}
