import fc from 'fast-check';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectors } from '../../src/read-models';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { AppConfig } from '../../src/platform/config/config';
import { EVENT_STORE, EventStore } from '../../src/platform/event-store/event-store.port';
import { ENDPOINTS } from '../../src/openai/openai-request';
import { LedgerQueries } from '../../src/ledger/ledger.queries';
import { CreditSpending } from '../../src/ledger/spending/credit-spending';
import { READ_MODELS_CHECKPOINT } from '../../src/platform/projection-runtime/checkpoint';
import { PROJECTION_RUNNER } from '../../src/platform/projection-runtime/projection-runtime.module';
import { ProjectionRunner } from '../../src/platform/projection-runtime/projection-runner';
import { verifyProjections } from '../../src/platform/projection-runtime/verify';
import { ctx, InferenceHarness, MODEL, startInferenceHarness } from '../inference/harness';
import { standinCrypto, standinPayments } from '../payments/support';
import { CoinbaseStandin, startCoinbaseStandin } from '../standins/coinbase/standin';
import { RazorpayStandin, startRazorpayStandin } from '../standins/razorpay/standin';
import { eventually } from '../support/eventually';
import { ROLE_NAMES, RoleName, signInEachRole, SignedIn, PASSWORD } from '../support/sign-in';
import { FuzzCase, fuzzCase, Identity, Pools, Route } from './requests';
import { Answer, judge, send } from './send';
import { AGREED } from '../support/eligibility';

/**
 * Issue 15 item 9: random and malformed requests to every route the app serves, found from the
 * running app itself (Express's router, which holds every Nest route, plus the /v1 gateway's own
 * table), so a route added later is fuzzed without anyone listing it.
 *
 * FUZZ_RUNS (default 1,500, sized for CI) and FUZZ_SEED (default 24) are read here only; locally:
 *   FUZZ_RUNS=20000 npx jest test/fuzz
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1_500);
const SEED = Number(process.env.FUZZ_SEED ?? 24);
const CHUNK = 100;

/** The fields each route's reader knows, so many bodies get past "unknown field" to the checks behind it. */
const FIELDS: [RegExp, string[]][] = [
  [/^POST \/auth\/register$/, ['email', 'password', 'displayName']],
  [/^POST \/auth\/login$/, ['email', 'password']],
  [/^POST \/auth\/telegram$/, ['id', 'first_name', 'last_name', 'username', 'photo_url', 'auth_date', 'hash']],
  [/^PATCH \/me$/, ['displayName', 'picture']],
  [/^(PUT|PATCH) \/me\/notifications$/, ['categories', 'lowBalanceThresholdUsd']],
  [/^POST \/me\/password$/, ['currentPassword', 'newPassword']],
  [/^POST \/me\/keys$/, ['name', 'expiresAt', 'limits']],
  [/^POST \/admin\/accounts\/:id\/roles$/, ['role']],
  [/suspend$/, ['reason']],
  [/credits\/(grants|corrections)$/, ['amountUsd', 'reason', 'operationId']],
  [/^POST \/me\/payments\/orders$/, ['amountUsd']],
  [/^POST \/me\/payments\/crypto\/charges$/, ['amountUsd']],
  [/checkout$/, ['razorpay_payment_id', 'razorpay_order_id', 'razorpay_signature']],
  [/refunds$/, ['amountUsd', 'reason', 'operationId']],
  [/reconciliation-runs$/, ['day']],
  [/^POST \/provider\/payouts$/, ['amountUsd', 'payoutId']],
  [/\/(reject)$/, ['reason']],
  [/\/paid$/, ['reference']],
  [/deletion-request$/, ['channel', 'note']],
  [/^PUT \/me\/kyc$/, ['pan', 'aadhaar']],
  [/^POST \/provider\/nodes$/, ['name', 'endpointUrl', 'models', 'gpuModel', 'gpuMemoryGb', 'region']],
  [/\/models$/, ['models']],
  [/provider-invites$/, ['email']],
  [/provider-invite\/accept$/, ['token']],
  [/heartbeat$/, ['models', 'inFlight', 'queueDepth']],
  [/^POST \/admin\/prices$/, ['model', 'inputMicroUsdPerMTok', 'outputMicroUsdPerMTok', 'perImageMicroUsd', 'effectiveAt']],
  [/^POST \/webhooks\//, ['entity', 'account_id', 'event', 'contains', 'payload', 'created_at']],
  [/^POST \/v1\//, ['model', 'messages', 'prompt', 'input', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'n', 'temperature', 'tools', 'user', 'size']],
];
const ALL_FIELDS = [...new Set(FIELDS.flatMap(([, f]) => f))];

/** One body each of these routes accepts, so mutations of it reach the checks and writes behind the reader. */
const VALID: [RegExp, Record<string, unknown>][] = [
  [/^POST \/me\/keys$/, { name: 'fuzz key' }],
  [/^PATCH \/me$/, { displayName: 'Fuzz' }],
  [/^POST \/provider\/nodes$/, { name: 'n', endpointUrl: 'http://127.0.0.1:1', models: ['fuzz-model'] }],
  [/\/models$/, { models: ['fuzz-model'] }],
  [/credits\/grants$/, { amountUsd: '1.00', reason: 'fuzz' }],
  [/credits\/corrections$/, { amountUsd: '-0.50', reason: 'fuzz' }],
  [/^POST \/me\/payments\/orders$/, { amountUsd: '10.00' }],
  [/^POST \/me\/payments\/crypto\/charges$/, { amountUsd: '10.00' }],
  [/refunds$/, { reason: 'fuzz' }],
  [/^POST \/provider\/payouts$/, { amountUsd: '10.00' }],
  [/^POST \/admin\/prices$/, { model: 'fuzz-model', inputMicroUsdPerMTok: '1000000', outputMicroUsdPerMTok: '2000000' }],
  [/provider-invites$/, { email: 'invitee@example.com' }],
  [/suspend$|\/reject$/, { reason: 'fuzz' }],
  [/\/paid$/, { reference: 'UTR-1' }],
  [/\/roles$/, { role: 'support' }],
  [/^POST \/admin\/accounts\/:id\/deletion-request$/, { channel: 'email', note: 'asked by email' }],
  [/^PUT \/me\/kyc$/, { pan: 'ABCDE1234F', aadhaar: '234123412346' }],
  [/heartbeat$/, { models: ['fuzz-model'], inFlight: 0, queueDepth: 0 }],
  [/^POST \/v1\/chat\/completions$/, { model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 }],
  [/^POST \/v1\/completions$/, { model: MODEL, prompt: 'hi', max_tokens: 8 }],
  [/^POST \/v1\/embeddings$/, { model: MODEL, input: 'hi' }],
  [/^POST \/v1\/images\/generations$/, { model: MODEL, prompt: 'a lighthouse' }],
];
const bodyOf = (r: Route) => {
  const key = `${r.method} ${r.path}`;
  return { fields: FIELDS.find(([re]) => re.test(key))?.[1] ?? ALL_FIELDS, valid: VALID.find(([re]) => re.test(key))?.[1] ?? null };
};

/** Every route Express serves (Nest's controllers, the docs), and the four inference routes the raw gateway serves ahead of it. */
function servedRoutes(h: InferenceHarness): Route[] {
  const instance = h.t.app.getHttpAdapter().getInstance() as { router?: { stack: unknown[] } };
  const express = (instance.router?.stack ?? []).flatMap((layer) => {
    const route = (layer as { route?: { path: string; methods: Record<string, boolean> } }).route;
    return route
      ? Object.keys(route.methods)
          .filter((m) => m !== '_all')
          .map((m) => ({ method: m.toUpperCase(), path: route.path }))
      : [];
  });
  return [...express, ...Object.keys(ENDPOINTS).map((path) => ({ method: 'POST', path }))];
}

describe('fuzz: every route, with every role and without', () => {
  let standin: RazorpayStandin;
  let coinbase: CoinbaseStandin;
  let h: InferenceHarness;
  let as: Record<RoleName, SignedIn>;
  let routes: Route[];
  let pools: Pools;
  let apiKey: string;
  let v1AccountId: string;
  let nodeToken: string;
  let logFile: string;
  const histogram = new Map<number, number>();
  const failures: string[] = [];

  beforeAll(async () => {
    standin = await startRazorpayStandin();
    coinbase = await startCoinbaseStandin();
    logFile = join(mkdtempSync(join(tmpdir(), 'tg-fuzz-')), 'app.log');
    h = await startInferenceHarness('fuzz', {
      overrides: {
        payments: standinPayments(standin),
        crypto: standinCrypto(coinbase),
        telegramBotToken: `123456:${'A'.repeat(35)}`,
        google: {
          clientId: 'fuzz-client',
          clientSecret: 'fuzz-secret',
          callbackUrl: 'http://127.0.0.1:1/auth/google/callback',
          authUrl: 'http://127.0.0.1:1/auth',
          tokenUrl: 'http://127.0.0.1:1/token',
          userInfoUrl: 'http://127.0.0.1:1/userinfo',
        },
        logLevel: 'error',
        logFile,
        // Heartbeats as in production: a slow moment on a shared machine must not take the only node offline (an honest 503).
        nodes: { heartbeatIntervalMs: 1_000, heartbeatTtlMs: 15_000, registryRefreshMs: 50, priceRefreshMs: 50 } as AppConfig['nodes'],
      },
    });
    const { app, url } = h.t;
    as = await signInEachRole(app, url, 'fuzz');
    // The /v1 key is another developer's, with credits: the dashboard developer may revoke, restrict or delete itself.
    const v1 = await h.developer(1_000n, { requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000 });
    apiKey = v1.key;
    v1AccountId = v1.accountId;
    // Records the fuzzer may act on by id: other people's, never the signed-in roles' own.
    const victims = await Promise.all(
      [0, 1, 2].map(
        async (i) =>
          (await app.get(AccountsService).register({ email: `victim-${i}@example.com`, password: PASSWORD, via: 'cli', eligibility: AGREED, roles: [] }, ctx())).accountId,
      ),
    );
    const victimKey = await app.get(ApiKeysService).issue(victims[0], { name: 'victim' }, ctx());
    const node = await as.provider.browser.post(`${url}/provider/nodes`, { name: 'fuzz-node', endpointUrl: 'http://127.0.0.1:1', models: ['fuzz-model'] });
    expect(node.status).toBe(201);
    nodeToken = node.body.token;
    const invite = await as.admin.browser.post(`${url}/admin/provider-invites`, { email: 'victim-1@example.com' });
    const order = await as.developer.browser.post(`${url}/me/payments/orders`, { amountUsd: '10.00' });
    const payout = `payout-${as.provider.accountId.slice(0, 8)}`;
    pools = {
      params: {
        id: [...victims, node.body.nodeId, invite.body.inviteId, victimKey.apiKey.id],
        keyId: [victimKey.apiKey.id],
        role: ['developer', 'support', 'provider', 'admin'],
        account: [`developer:${victims[0]}`, `provider:${h.providerId}`, 'platform:revenue', 'platform:payment_clearing'],
        orderId: [order.body.orderId ?? 'order_x'],
        paymentId: ['pay_FuzzPayment0001'],
        jobId: ['1', 'sweep-manual-1'],
        providerId: [h.providerId, as.provider.accountId],
        payoutId: [payout],
      },
      models: [MODEL, 'fuzz-model'],
    };
    routes = servedRoutes(h);
    await h.t.caughtUp();
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    await standin?.close();
    await coinbase?.close();
  });

  /** The identity's credentials as headers; a signed-in role sends its session cookies, as a browser would. */
  function credentials(identity: Identity): Record<string, string> {
    const host = new URL(h.t.url).host;
    switch (identity) {
      case 'anonymous':
        return {};
      case 'apiKey':
        return { authorization: `Bearer ${apiKey}` };
      case 'nodeToken':
        return { authorization: `Bearer ${nodeToken}` };
      case 'wrongBearer':
        return { authorization: `Bearer tg_live_${'A'.repeat(12)}_${'b'.repeat(32)}` };
      default: {
        const browser = as[identity].browser;
        const cookie = ['tg_session', 'tg_refresh']
          .map((name) => browser.cookie(host, name))
          .filter((c) => c !== undefined)
          .map((c) => `${c?.name}=${c?.value}`)
          .join('; ');
        return cookie ? { cookie } : {};
      }
    }
  }

  /** A fuzzed request may end its own session (logout, a reused refresh token): sign in again, as the person would. */
  async function stillSignedIn(identity: Identity): Promise<boolean> {
    if (!(ROLE_NAMES as readonly string[]).includes(identity)) return false;
    const who = as[identity as RoleName];
    if ((await who.browser.get(`${h.t.url}/me`)).status === 200) return false;
    const login = await who.browser.post(`${h.t.url}/auth/login`, { email: who.email, password: PASSWORD });
    if (login.status !== 200) throw new Error(`${identity} could not sign in again: ${login.status} ${login.text}`);
    return true;
  }

  it(
    `sends ${RUNS} random and malformed requests: never a 5xx, every refusal in the route's own error shape`,
    async () => {
      const base = new URL(h.t.url);
      const arbitrary = fuzzCase(routes, bodyOf, pools);
      // First one case per route (every route is tried whatever the count), then any route at random.
      const batch = (chunk: number, n: number): FuzzCase[] =>
        chunk * CHUNK < routes.length
          ? routes.slice(chunk * CHUNK, chunk * CHUNK + n).map((r, i) => fc.sample(fuzzCase([r], bodyOf, pools), { seed: SEED * 100_003 + chunk * CHUNK + i, numRuns: 1 })[0])
          : fc.sample(arbitrary, { seed: SEED * 100_003 + chunk, numRuns: n });
      const served = new Set(routes.map((r) => `${r.method} ${r.path}`));
      const covered = new Set<string>();
      let times = 0;
      const byIdentity = new Map<string, number>();
      const slowest: { ms: number; what: string }[] = [];
      let sent = 0;
      let signIns = 0;
      const started = Date.now();
      for (let chunk = 0; sent < RUNS; chunk++) {
        // Chunks keep memory flat; each has its own seed derived from FUZZ_SEED, so a run replays exactly.
        const cases = batch(chunk, Math.min(CHUNK, RUNS - sent));
        for (const [i, c] of cases.entries()) {
          const id = `${chunk}:${i}`;
          let answer: Answer;
          try {
            answer = await send(base, c, { 'x-forwarded-for': '203.0.113.7', ...credentials(c.identity) });
          } catch (err) {
            failures.push(`[${id}] ${summary(c)} → no answer: ${(err as Error).message}`);
            continue;
          }
          sent++;
          histogram.set(answer.status, (histogram.get(answer.status) ?? 0) + 1);
          byIdentity.set(c.identity, (byIdentity.get(c.identity) ?? 0) + 1);
          if (served.has(`${c.route.method} ${c.route.path}`)) covered.add(`${c.route.method} ${c.route.path}`);
          times += answer.ms;
          slowest.push({ ms: answer.ms, what: `${c.method} ${c.route.path}` });
          slowest.sort((a, b) => b.ms - a.ms).splice(3);
          const wrong = judge(c, answer);
          if (wrong) failures.push(`[${id}] ${summary(c)} → ${wrong}`);
          if (answer.status === 401 && (await stillSignedIn(c.identity))) signIns++;
        }
      }
      const seconds = (Date.now() - started) / 1000;
      const statuses = Object.fromEntries([...histogram.entries()].sort((a, b) => a[0] - b[0]));
      console.log(
        [
          `fuzz: ${sent} requests in ${seconds.toFixed(1)} s (FUZZ_SEED=${SEED}, FUZZ_RUNS=${RUNS}; mean answer ${(times / Math.max(sent, 1)).toFixed(1)} ms), ${covered.size} of ${routes.length} routes hit, ${failures.length} failures`,
          `statuses: ${JSON.stringify(statuses)}`,
          `identities: ${JSON.stringify(Object.fromEntries(byIdentity))}; signed in again ${signIns} times`,
          `slowest: ${slowest.map((s) => `${s.what} ${s.ms.toFixed(0)} ms`).join(', ')}`,
          ...failures.slice(0, 40),
        ].join('\n'),
      );
      expect(failures).toEqual([]);
      expect(sent).toBe(RUNS);
      if (RUNS >= routes.length) expect(routes.filter((r) => !covered.has(`${r.method} ${r.path}`)).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    },
    Math.max(300_000, RUNS * 100),
  );

  it('leaves no half-written state: holds released, trial balance zero, projections verify clean, no error logged, still ready', async () => {
    const { app } = h.t;
    await eventually(async () => expect((await app.get(CreditSpending).funds(v1AccountId)).heldMicroUsd).toBe(0n), 20_000);
    await h.t.caughtUp();
    const trial = await app.get(LedgerQueries).trialBalance();
    expect(trial.totals).toMatchObject({ netMicroUsd: '0', balanced: true });
    const { rows } = await h.t.database.pool.query<{ sum: string; n: string }>('SELECT coalesce(sum(amount_micro_usd), 0)::text AS sum, count(*)::text AS n FROM ledger_postings');
    expect(rows[0].sum).toBe('0');
    const report = await verifyProjections(h.t.database.db, app.get<EventStore>(EVENT_STORE), projectors, { checkpointName: READ_MODELS_CHECKPOINT, batchSize: 500 });
    expect(report.tables.filter((t) => t.onlyLive > 0 || t.onlyRebuilt > 0)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(app.get<ProjectionRunner>(PROJECTION_RUNNER).status().retries).toBe(0);
    const errors = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message?: string } })
      .filter((l) => l.level >= 50);
    expect(errors.map((e) => `${e.msg}: ${e.err?.message ?? ''}`)).toEqual([]);
    expect((await fetch(`${h.t.url}/health/ready`)).status).toBe(200);
    console.log(
      `fuzz after the run: trial balance ${trial.totals.debitsMicroUsd} = ${trial.totals.creditsMicroUsd} over ${rows[0].n} postings, verify replayed ${report.eventsReplayed} events with no difference`,
    );
  }, 120_000);
});

function summary(c: FuzzCase): string {
  const body = c.body === null ? '' : ` body ${JSON.stringify(c.body.subarray(0, 160).toString('utf8'))}${c.body.length > 160 ? `…(${c.body.length} bytes)` : ''}`;
  const target = c.target.length > 200 ? `${c.target.slice(0, 200)}…` : c.target;
  return `${c.identity} ${c.method} ${target}${body} ${JSON.stringify(c.headers)}`;
}
