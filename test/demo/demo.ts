/**
 * `npm run demo`: the whole flow on one machine, printed step by step.
 * Needs PostgreSQL and Redis (DATABASE_URL / REDIS_URL, defaults 127.0.0.1); uses a fresh
 * database `tollgate_demo` each run. The GPU node is a SIMULATED ENGINE (test/standins/gpu-engine/engine-standin.ts,
 * it answers "Hello from the engine.") behind the real node agent.
 */
import OpenAI from 'openai';
import { Pool } from 'pg';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { createApp } from '../../src/bootstrap';
import { loadConfig } from '../../src/platform/config/config';
import { Position } from '../../src/platform/event-store/event-store.port';
import { CreditsService } from '../../src/ledger/credits.service';
import { LedgerQueries } from '../../src/ledger/ledger.queries';
import { formatUsd } from '../../src/platform/money';
import { BalanceFeeder } from '../../src/ledger/spending/balance-feeder';
import { CreditSpending } from '../../src/ledger/spending/credit-spending';
import { NodeAgent } from '../../src/node-agent/node-agent';
import { ProviderInvitesService } from '../../src/nodes/invites/provider-invites.service';
import { NodesService } from '../../src/nodes/nodes.service';
import { createLogger } from '../../src/platform/observability/logger';
import { PricesService } from '../../src/pricing/prices.service';
import { PROJECTION_RUNNER } from '../../src/platform/projection-runtime/projection-runtime.module';
import { ProjectionRunner } from '../../src/platform/projection-runtime/projection-runner';
import { startEngine } from '../standins/gpu-engine/engine-standin';
import { startVendor } from '../standins/llm-vendor/vendor-standin';
import { UpstreamsService } from '../../src/upstreams/upstreams.service';
import { UpstreamProber } from '../../src/upstreams/upstream-prober';
import { randomUUID } from 'node:crypto';
import { freePort } from '../support/net';
import { AGREED, PROVIDER_TERMS_AGREED } from '../support/eligibility';

const MODEL = 'demo/llama-3-8b-instruct';
const UPSTREAM_MODEL = 'demo/llama-3.1-70b';
const step = (n: number, text: string) => process.stdout.write(`\n\x1b[1m${n}. ${text}\x1b[0m\n`);
const show = (label: string, value: unknown) => process.stdout.write(`   ${label}: ${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
const ctx = () => ({ actorId: 'operator:demo', occurredAt: new Date().toISOString() });

async function main(): Promise<void> {
  const server = (process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/tollgate').replace(/\/[^/]*$/, '');
  const admin = new Pool({ connectionString: `${server}/postgres`, max: 1 });
  await admin.query('DROP DATABASE IF EXISTS tollgate_demo WITH (FORCE)');
  await admin.end();
  const port = await freePort();
  const config = {
    ...loadConfig({
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      DATABASE_URL: `${server}/tollgate_demo`,
      REDIS_KEY_PREFIX: 'tg-demo:',
      BULLMQ_PREFIX: 'tg-demo:bull',
      NODE_HEARTBEAT_INTERVAL_MS: '500',
      NODE_HEARTBEAT_TTL_MS: '3000',
      NODE_REGISTRY_REFRESH_MS: '200',
      PRICE_REFRESH_MS: '200',
      METRICS_PORT: '0',
      TUNNEL_RELAY_PORT: '0',
      // The simulated node runs on this machine: loopback is allowed explicitly, as an operator running a private network would.
      NODE_ALLOWED_CIDRS: '127.0.0.0/8,::1/128',
    }),
    port,
    host: '127.0.0.1',
  };

  step(1, 'Start Tollgate (API, projections and workers in one process, like `npm start`)');
  const app = await createApp(config, 'all');
  await app.listen(port, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  show('listening', url);
  const engine = await startEngine({ models: [MODEL], name: 'simulated-engine' });
  let agent: NodeAgent | null = null;
  try {
    step(2, 'A provider joins by invite, registers a GPU node and runs the node agent in front of a SIMULATED engine');
    const accounts = app.get(AccountsService);
    const provider = await accounts.register(
      { email: 'gpu-owner@demo.test', password: 'demo password 123', displayName: 'GPU owner', via: 'cli', eligibility: AGREED, roles: [] },
      ctx(),
    );
    const invite = await app.get(ProviderInvitesService).issue('gpu-owner@demo.test', ctx());
    await app.get(ProviderInvitesService).accept(provider.accountId, invite.token, ctx(), PROVIDER_TERMS_AGREED);
    const agentPort = await freePort();
    const node = await app
      .get(NodesService)
      .register(provider.accountId, { name: 'rtx-4090-box', endpointUrl: `http://127.0.0.1:${agentPort}`, models: [{ id: MODEL, contextLength: 8_192 }] }, ctx());
    await app.get(NodesService).approve(node.nodeId, ctx());
    agent = new NodeAgent({
      gatewayUrl: url,
      nodeToken: node.token,
      engineUrl: engine.url,
      engineApiKey: null,
      host: '127.0.0.1',
      port: agentPort,
      maxConcurrency: 8,
      maxQueue: 32,
      heartbeatIntervalMs: null,
      logger: createLogger('warn', 'node-agent'),
    });
    await agent.start();
    show('node', { nodeId: node.nodeId, agent: `http://127.0.0.1:${agentPort}`, engine: `${engine.url} (simulated)` });
    await app.get(PricesService).set({ model: MODEL, inputMicroUsdPerMTok: 150_000n, outputMicroUsdPerMTok: 600_000n }, ctx());
    show('price', `${MODEL}: $0.15 / $0.60 per million input / output tokens`);

    step(3, 'A developer gets $5 of credits and an API key');
    const developer = await accounts.register(
      { email: 'dev@demo.test', password: 'demo password 123', displayName: 'Developer', via: 'cli', eligibility: AGREED, roles: [] },
      ctx(),
    );
    const granted = await app.get(CreditsService).grant(developer.accountId, 5_000_000n, 'demo credits', ctx());
    await app.get(BalanceFeeder).waitUntilPassed(granted.position as Position);
    await app.get<ProjectionRunner>(PROJECTION_RUNNER).waitUntilCaughtUp();
    const { key } = await app.get(ApiKeysService).issue(developer.accountId, { name: 'demo' }, ctx());
    show('api key', `${key.slice(0, 21)}… (shown once; only its hash is stored)`);

    step(4, 'A streamed chat completion through the official openai SDK');
    const openai = new OpenAI({ apiKey: key, baseURL: `${url}/v1` });
    for (let i = 0; ; i++) {
      const models = await openai.models.list();
      if (models.data.some((m) => m.id === MODEL)) break;
      if (i > 100) throw new Error('the node never came online');
      await new Promise((r) => setTimeout(r, 100));
    }
    const stream = await openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Say hello to the demo.' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    process.stdout.write('   assistant: ');
    let usage: unknown = null;
    for await (const chunk of stream) {
      process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
      if (chunk.usage) usage = chunk.usage;
    }
    process.stdout.write('\n');
    show('usage', usage);

    step(5, 'The balance, the usage record and the provider’s earning');
    await app.get<ProjectionRunner>(PROJECTION_RUNNER).waitUntilCaughtUp();
    const funds = await app.get(CreditSpending).funds(developer.accountId);
    show('developer balance', `${formatUsd(funds.balanceMicroUsd)} USD (available ${formatUsd(funds.availableMicroUsd)})`);
    const ledger = app.get(LedgerQueries);
    const charge = (await ledger.journal({ type: 'UsageRecorded', limit: 1 })).items[0];
    show('usage record (metadata only)', { requestId: charge?.reference, costMicroUsd: charge?.amountMicroUsd, postings: charge?.postings });
    show('provider earned', `${(await ledger.accountTotals(`provider:${provider.accountId}`)).normalBalanceMicroUsd} micro-USD`);
    const trial = await ledger.trialBalance();
    show('trial balance', trial.totals);

    step(6, 'An upstream API vendor (a SIMULATED one) serves a second model: its key sealed, its cost owed to vendor:{id}');
    const vendor = await startVendor({ models: ['vendor/llama-3.1-70b'], apiKey: `sk-demo-${randomUUID()}` });
    try {
      const upstream = await app
        .get(UpstreamsService)
        .register({ name: 'Simulated vendor', baseUrl: vendor.baseUrl, apiKey: vendor.apiKey, models: [{ id: UPSTREAM_MODEL, vendorModel: 'vendor/llama-3.1-70b' }] }, ctx());
      await app.get(PricesService).set({ model: UPSTREAM_MODEL, inputMicroUsdPerMTok: 600_000n, outputMicroUsdPerMTok: 800_000n }, ctx());
      await app.get(UpstreamsService).setCost(upstream.id, { model: UPSTREAM_MODEL, inputMicroUsdPerMTok: 300_000n, outputMicroUsdPerMTok: 400_000n }, ctx());
      show('upstream', { id: upstream.id, baseUrl: upstream.baseUrl, models: upstream.models, keyVersion: upstream.keyVersion, probe: await app.get(UpstreamProber).probeAll() });
      // The price and the router's list reach the gateway within their refresh (200 ms here).
      let reply: OpenAI.Chat.Completions.ChatCompletion | null = null;
      for (let i = 0; !reply; i++) {
        reply = await openai.chat.completions
          .create({ model: UPSTREAM_MODEL, messages: [{ role: 'user', content: 'Say hello from the vendor.' }] })
          .catch((err: { status?: number }) => {
            if (err.status !== 404 || i > 50) throw err;
            return new Promise<null>((r) => setTimeout(() => r(null), 100));
          });
      }
      show('assistant (via the upstream)', reply.choices[0].message.content ?? '');
      await app.get<ProjectionRunner>(PROJECTION_RUNNER).waitUntilCaughtUp();
      const vendorCharge = (await ledger.journal({ type: 'UsageRecorded', limit: 1 })).items[0];
      show('usage record (upstream)', { costMicroUsd: vendorCharge?.amountMicroUsd, postings: vendorCharge?.postings });
      show('owed to the vendor', `${(await ledger.accountTotals(`vendor:${upstream.id}`)).normalBalanceMicroUsd} micro-USD`);
      show('trial balance', (await ledger.trialBalance()).totals);
    } finally {
      await vendor.close();
    }
    process.stdout.write('\nDone. Try it yourself: see README "Quick start".\n');
  } finally {
    await agent?.stop();
    await engine.close();
    await app.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
