import { INestApplication } from '@nestjs/common';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { CreditsService } from '../../src/ledger/credits.service';
import { BalanceFeeder } from '../../src/ledger/spending/balance-feeder';
import { ProviderInvitesService } from '../../src/nodes/invites/provider-invites.service';
import { NodesService } from '../../src/nodes/nodes.service';
import { Position } from '../../src/platform/event-store/event-store.port';
import { PROJECTION_RUNNER } from '../../src/platform/projection-runtime/projection-runtime.module';
import { ProjectionRunner } from '../../src/platform/projection-runtime/projection-runner';
import { PricesService } from '../../src/pricing/prices.service';
import { startTestApp } from '../support/app';
import { AGREED, PROVIDER_TERMS_AGREED } from '../support/eligibility';

const ctx = () => ({ actorId: 'operator:proof', occurredAt: new Date().toISOString() });

export const PROOF_MODEL = 'proof/standin-model';
/** Served only by the tunnelled node, so the tunnel check's every request goes through a tunnel. */
export const PROOF_TUNNEL_MODEL = 'proof/tunnelled-model';
export const PROOF_PASSWORD = 'proof password 0123456789';
/** 1 µUSD per input token, 2 per output token: a streamed answer of the stand-in costs a few tens of µUSD. */
const PRICE = { inputMicroUsdPerMTok: 1_000_000n, outputMicroUsdPerMTok: 2_000_000n };

/**
 * A node the gateway sends requests to: a public endpoint it dials (`direct`, the engine's base URL:
 * the stand-in under test/standins/gpu-engine), or an agent that dials out (`tunnel`: registered
 * `tunnel:`, no address to dial; the proof runs its NodeAgent).
 */
export type ProofNodeSpec = { kind: 'direct'; name: string; endpointUrl: string; model: string } | { kind: 'tunnel'; name: string; model: string };

export interface ProvisionedNode {
  nodeId: string;
  name: string;
  /** Its token, for heartbeats (a node is routed to only while it heartbeats) and the tunnel. */
  token: string;
  spec: ProofNodeSpec;
}

export interface Provisioned {
  providerId: string;
  nodes: ProvisionedNode[];
  /** A developer whose balance is small: the overspend check drains it. */
  small: { accountId: string; key: string; balanceMicroUsd: bigint };
  /** A developer with plenty of credits who can sign in: the revocation, rate-limit and kill checks. */
  main: { accountId: string; email: string; loadKey: string; loadKeyId: string; rateKey: string; rateLimitPerMinute: number; tunnelKey: string; tunnelKeyId: string };
}

/**
 * One node, approved, serving its model (the provider's side as an operator sets it up). The one place
 * that knows how a node joins, so the proof can add tunnelled nodes (agents dialing out) beside direct ones.
 */
export async function addNode(app: INestApplication, providerId: string, spec: ProofNodeSpec): Promise<ProvisionedNode> {
  const nodes = app.get(NodesService);
  const endpointUrl = spec.kind === 'direct' ? spec.endpointUrl : 'tunnel:';
  const node = await nodes.register(providerId, { name: spec.name, endpointUrl, models: [{ id: spec.model, contextLength: 8_192 }] }, ctx());
  await nodes.approve(node.nodeId, ctx());
  return { nodeId: node.nodeId, name: spec.name, token: node.token, spec };
}

/**
 * A fresh database made ready for the proof, as test/bench/gateway/provision.ts does it: a provider with
 * `nodes`, the model priced, and two developers with credits and keys. Runs an in-process app on
 * `databaseUrl` (migrated) and closes it before the instances start.
 */
export async function provisionProof(
  databaseUrl: string,
  redisKeyPrefix: string,
  options: { nodes: ProofNodeSpec[]; smallBalanceMicroUsd: bigint; rateLimitPerMinute: number },
): Promise<Provisioned> {
  const setup = await startTestApp(databaseUrl, { redisKeyPrefix, security: { approvalThresholdMicroUsd: 100_000_000_000n } });
  try {
    const app = setup.app;
    const accounts = app.get(AccountsService);
    const credits = app.get(CreditsService);
    const keys = app.get(ApiKeysService);
    const register = (email: string) => accounts.register({ email, password: PROOF_PASSWORD, via: 'cli', roles: [], eligibility: AGREED }, ctx());

    const { accountId: providerId } = await register('provider@proof.test');
    const invite = await app.get(ProviderInvitesService).issue('provider@proof.test', ctx());
    await app.get(ProviderInvitesService).accept(providerId, invite.token, ctx(), PROVIDER_TERMS_AGREED);
    for (const model of [PROOF_MODEL, PROOF_TUNNEL_MODEL]) await app.get(PricesService).set({ model, ...PRICE, perImageMicroUsd: null }, ctx());
    const nodes: ProvisionedNode[] = [];
    for (const spec of options.nodes) nodes.push(await addNode(app, providerId, spec));

    const small = await register('small@proof.test');
    await credits.grant(small.accountId, options.smallBalanceMicroUsd, 'proof: the overspend check', ctx());
    const smallKey = await keys.issue(small.accountId, { name: 'overspend', limits: {} }, ctx());

    const mainEmail = 'main@proof.test';
    const main = await register(mainEmail);
    const { position } = await credits.grant(main.accountId, 100_000_000n, 'proof: load', ctx());
    const loadKey = await keys.issue(main.accountId, { name: 'load', limits: {} }, ctx());
    const tunnelKey = await keys.issue(main.accountId, { name: 'tunnel', limits: {} }, ctx());
    const rateKey = await keys.issue(main.accountId, { name: 'rate-limited', limits: { requestsPerMinute: options.rateLimitPerMinute } }, ctx());

    // The balances reach Redis, and the keys, nodes and price their read models, before any instance starts.
    await app.get(BalanceFeeder).waitUntilPassed(position as Position);
    await app.get<ProjectionRunner>(PROJECTION_RUNNER).waitUntilCaughtUp();
    return {
      providerId,
      nodes,
      small: { accountId: small.accountId, key: smallKey.key, balanceMicroUsd: options.smallBalanceMicroUsd },
      main: {
        accountId: main.accountId,
        email: mainEmail,
        loadKey: loadKey.key,
        loadKeyId: loadKey.apiKey.id,
        rateKey: rateKey.key,
        rateLimitPerMinute: options.rateLimitPerMinute,
        tunnelKey: tunnelKey.key,
        tunnelKeyId: tunnelKey.apiKey.id,
      },
    };
  } finally {
    await setup.app.close();
  }
}
