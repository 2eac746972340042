import OpenAI from 'openai';
import { createServer, Server } from 'node:net';
import { AddressInfo } from 'node:net';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { handleCommand } from '../../src/platform/event-sourcing/command-handler';
import { EVENT_STORE, EventStore, Position } from '../../src/platform/event-store/event-store.port';
import { CreditsService } from '../../src/ledger/credits.service';
import { BalanceFeeder } from '../../src/ledger/spending/balance-feeder';
import { ProviderInvitesService } from '../../src/nodes/invites/provider-invites.service';
import { hashNodeToken } from '../../src/nodes/node-credentials';
import { generateNodeToken } from '../../src/nodes/node-token';
import { nodeDecider } from '../../src/nodes/node.decide';
import { nodeStream } from '../../src/nodes/node.events';
import { NodesService } from '../../src/nodes/nodes.service';
import { NodeRegistry } from '../../src/nodes/routing/node-registry';
import { PricesService } from '../../src/pricing/prices.service';
import { SECRETS, Secrets } from '../../src/platform/security/secrets';
import { AuthTestApp, newBrowser, startAuthApp } from '../auth/auth-app';
import { Browser } from '../support/browser';
import { cli } from '../support/cli';
import { AGREED, PROVIDER_TERMS_AGREED } from '../support/eligibility';

const MODEL = 'guard-test/model:1b';
const PASSWORD = 'correct horse battery staple';
const ctx = () => ({ actorId: 'operator:test', occurredAt: new Date().toISOString() });

/**
 * Nodes cannot point inside (issue 15, item 5), with the production default: no internal range
 * allowed (NODE_ALLOWED_CIDRS empty). Registration over HTTP and the CLI refuses internal
 * endpoints; a node whose endpoint is internal anyway (registered before the check, or a name that
 * now resolves inside) gets no connection from the gateway, only a 503 for the developer.
 */
describe('nodes cannot point inside: registration and the gateway, with no internal range allowed', () => {
  let t: AuthTestApp;
  let provider: { id: string; email: string; browser: Browser };
  let trap: Server;
  let trapPort: number;
  let trapConnections = 0;

  beforeAll(async () => {
    t = await startAuthApp('node_endpoints', {
      security: { nodeEndpoints: { requireHttps: false, allowedCidrs: [] } },
      nodes: { heartbeatIntervalMs: 100, heartbeatTtlMs: 2_000, registryRefreshMs: 50, priceRefreshMs: 50, attemptTimeoutMs: 2_000 },
    });
    const email = `gpu-${Date.now()}@example.com`;
    const { accountId } = await t.app.get(AccountsService).register({ email, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: [] }, ctx());
    const invite = await t.app.get(ProviderInvitesService).issue(email, ctx());
    await t.app.get(ProviderInvitesService).accept(accountId, invite.token, ctx(), PROVIDER_TERMS_AGREED);
    const browser = newBrowser();
    expect((await browser.post(`${t.url}/auth/login`, { email, password: PASSWORD })).status).toBe(200);
    provider = { id: accountId, email, browser };
    // Something internal listening on loopback (a database, Redis, an admin port…).
    trap = createServer((socket) => {
      trapConnections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    trapPort = (trap.address() as AddressInfo).port;
  });
  afterAll(async () => {
    trap?.close();
    await t?.close();
  });

  it.each([
    ['loopback (PostgreSQL)', 'http://127.0.0.1:5432'],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data'],
    ['IPv6 loopback (Redis)', 'http://[::1]:6379'],
    ['private', 'http://10.0.0.5'],
    ['localhost', 'http://localhost:8080'],
    ['one decimal number', 'http://2130706433'],
    ['short hex', 'http://0x7f.1'],
    ['IPv4-mapped IPv6', 'http://[::ffff:127.0.0.1]'],
    ['CGNAT', 'http://100.64.10.10'],
    ['multicast', 'http://224.0.0.1'],
    ['unspecified', 'http://0.0.0.0:8000'],
    ['link-local IPv6', 'http://[fe80::1]'],
  ])('POST /provider/nodes refuses %s: %s', async (_, endpointUrl) => {
    const res = await provider.browser.post(`${t.url}/provider/nodes`, { name: 'sneaky', endpointUrl, models: [MODEL] });
    expect([res.status, res.body.code]).toEqual([400, 'endpoint_not_allowed']);
  });

  it('accepts a public endpoint', async () => {
    const res = await provider.browser.post(`${t.url}/provider/nodes`, { name: 'public', endpointUrl: 'https://93.184.216.34:8443', models: [MODEL] });
    expect(res.status).toBe(201);
  });

  it('CLI nodes:register refuses an internal endpoint (exit 1, nothing recorded)', async () => {
    const run = await cli({ DATABASE_URL: t.database.url, APP_SECRET: t.config.appSecret }, [
      'nodes:register',
      '--provider-email',
      provider.email,
      '--name',
      'cli-sneaky',
      '--endpoint',
      'http://169.254.169.254',
      '--models',
      MODEL,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('endpoint_not_allowed');
    expect(run.stdout).toBe('');
  }, 120_000); // a CLI child transpiles its code first: slow on a busy machine

  it('a node whose endpoint is internal anyway (registered before the check) never gets a connection: the developer gets 503', async () => {
    // Straight into the event store, as a node registered before this check was would be.
    const { nodeId, token } = generateNodeToken();
    await handleCommand(
      t.app.get<EventStore>(EVENT_STORE),
      nodeStream(nodeId),
      nodeDecider,
      {
        type: 'RegisterNode',
        nodeId,
        providerId: provider.id,
        name: 'legacy',
        hardware: { gpuModel: null, gpuMemoryGb: null, region: null },
        endpointUrl: `http://127.0.0.1:${trapPort}`,
        models: [{ id: MODEL, contextLength: null }],
        tokenHash: hashNodeToken(t.app.get<Secrets>(SECRETS), token),
        at: new Date().toISOString(),
      },
      ctx(),
    );
    await t.app.get(NodesService).approve(nodeId, ctx());
    await t.app.get(PricesService).set({ model: MODEL, inputMicroUsdPerMTok: 1_000_000n, outputMicroUsdPerMTok: 1_000_000n }, ctx());
    const heartbeat = () =>
      fetch(`${t.url}/nodes/heartbeat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ models: [MODEL] }),
      });
    expect((await heartbeat()).status).toBe(200);
    await t.caughtUp();
    await t.app.get(NodeRegistry).reload();

    const { accountId } = await t.app
      .get(AccountsService)
      .register({ email: `dev-${Date.now()}@example.com`, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: [] }, ctx());
    const { position } = await t.app.get(CreditsService).grant(accountId, 5_000_000n, 'test credits', ctx());
    await t.app.get(BalanceFeeder).waitUntilPassed(position as Position);
    await t.caughtUp();
    const { key } = await t.app.get(ApiKeysService).issue(accountId, { name: 'k' }, ctx());
    const openai = new OpenAI({ apiKey: key, baseURL: `${t.url}/v1`, maxRetries: 0, timeout: 20_000 });
    const err = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).then(
      () => null,
      (e: { status?: number }) => e,
    );
    await heartbeat();
    console.log(`internal node endpoint: developer got ${err?.status}; connections reaching 127.0.0.1:${trapPort}: ${trapConnections}`);
    expect(err?.status).toBe(503);
    expect(trapConnections).toBe(0);
  });
});
