import { writeFileSync } from 'node:fs';
import { AccountsService } from '../../../src/accounts/accounts.service';
import { ApiKeysService } from '../../../src/api-keys/api-keys.service';
import { CreditsService } from '../../../src/ledger/credits.service';
import { BalanceFeeder } from '../../../src/ledger/spending/balance-feeder';
import { ProviderInvitesService } from '../../../src/nodes/invites/provider-invites.service';
import { NodesService } from '../../../src/nodes/nodes.service';
import { Position } from '../../../src/platform/event-store/event-store.port';
import { PROJECTION_RUNNER } from '../../../src/platform/projection-runtime/projection-runtime.module';
import { ProjectionRunner } from '../../../src/platform/projection-runtime/projection-runner';
import { PricesService } from '../../../src/pricing/prices.service';
import { startTestApp } from '../../support/app';
import { AGREED, PROVIDER_TERMS_AGREED } from '../../support/eligibility';

const ctx = () => ({ actorId: 'operator:bench', occurredAt: new Date().toISOString() });

export interface Provisioned {
  /** The developer's API key (credits: $10,000). */
  key: string;
  /** The node's token, for its heartbeat. */
  nodeToken: string;
}

/**
 * A gateway ready to measure on `databaseUrl` (migrated): a provider with one approved node whose
 * endpoint is `upstreamUrl`, `model` priced, and a developer with $10,000 of credits and a key.
 * Used by bench:gateway and, from the command line, by outside harnesses (see the end of the file).
 */
export async function provisionGateway(databaseUrl: string, redisKeyPrefix: string, upstreamUrl: string, model: string): Promise<Provisioned> {
  // $10,000 in one grant: above the default four-eyes threshold, which is not what is measured.
  const setup = await startTestApp(databaseUrl, { redisKeyPrefix, security: { approvalThresholdMicroUsd: 100_000_000_000n } });
  try {
    const app = setup.app;
    const accounts = app.get(AccountsService);
    const password = 'bench password 0123456789';
    const { accountId: providerId } = await accounts.register({ email: 'provider@bench.test', password, via: 'cli', roles: [], eligibility: AGREED }, ctx());
    const invite = await app.get(ProviderInvitesService).issue('provider@bench.test', ctx());
    await app.get(ProviderInvitesService).accept(providerId, invite.token, ctx(), PROVIDER_TERMS_AGREED);
    await app.get(PricesService).set({ model, inputMicroUsdPerMTok: 100_000n, outputMicroUsdPerMTok: 200_000n, perImageMicroUsd: null }, ctx());
    const node = await app.get(NodesService).register(providerId, { name: 'bench', endpointUrl: upstreamUrl, models: [{ id: model, contextLength: 8_192 }] }, ctx());
    await app.get(NodesService).approve(node.nodeId, ctx());
    const { accountId } = await accounts.register({ email: 'dev@bench.test', password, via: 'cli', roles: [], eligibility: AGREED }, ctx());
    const { position } = await app.get(CreditsService).grant(accountId, 10_000_000_000n, 'benchmark', ctx());
    await app.get(BalanceFeeder).waitUntilPassed(position as Position);
    const { key } = await app.get(ApiKeysService).issue(accountId, { name: 'bench', limits: {} }, ctx());
    // The key, the node and the price reach their read models before the gateway starts, so its first request finds them.
    await app.get<ProjectionRunner>(PROJECTION_RUNNER).waitUntilCaughtUp();
    return { key, nodeToken: node.token };
  } finally {
    await setup.app.close();
  }
}

// ts-node test/bench/gateway/provision.ts <databaseUrl> <redisKeyPrefix> <upstreamUrl> <model> <keyFile> <nodeTokenFile>
if (require.main === module) {
  const [databaseUrl, prefix, upstreamUrl, model, keyFile, tokenFile] = process.argv.slice(2);
  provisionGateway(databaseUrl, prefix, upstreamUrl, model).then(
    ({ key, nodeToken }) => {
      writeFileSync(keyFile, key, { mode: 0o600 });
      writeFileSync(tokenFile, nodeToken, { mode: 0o600 });
      process.exit(0);
    },
    (err: Error) => {
      process.stderr.write(`provisioning failed: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
