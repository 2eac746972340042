import { sharedSmtpSink } from '../../support/smtp-sink';
import { projectors } from '../../../src/read-models';
import { EVENT_STORE, EventStore } from '../../../src/platform/event-store/event-store.port';
import { derivedEventId } from '../../../src/platform/event-sourcing/derived-event-id';
import { LedgerQueries } from '../../../src/ledger/ledger.queries';
import { nodeStream } from '../../../src/nodes/node.events';
import { DiscrepancyKind } from '../../../src/nodes/trust/node-trust.events';
import { TRUST_ACTOR } from '../../../src/nodes/trust/reputation/trust-review';
import { appendTrustRecords } from '../../../src/nodes/trust/trust-records';
import { payoutStream } from '../../../src/payouts/payout.events';
import { READ_MODELS_CHECKPOINT } from '../../../src/platform/projection-runtime/checkpoint';
import { verifyProjections } from '../../../src/platform/projection-runtime/verify';
import { Browser } from '../../support/browser';
import { cli } from '../../support/cli';
import { eventually } from '../../support/eventually';
import { startTrustApp, TrustApp, TrustNode } from './trust-harness';

const SETTINGS = {
  TOKEN_COUNT_MODELS: 'trust-csq/*=cl100k_base',
  TOKEN_COUNT_WINDOW_TOKENS: '300',
  TOKEN_COUNT_MIN_TOKENS: '100',
  TOKEN_COUNT_FLUSH_MS: '200',
  DISCREPANCIES_TO_SUSPEND: '10',
  DISCREPANCY_WINDOW_HOURS: '24',
  NODE_TRUST_REVIEW_INTERVAL_MS: '200',
};
const REQUESTS = 30;
/** What the gateway records when a report breaks a bound (the other half of the issue), appended here as it would. */
const GATEWAY_KINDS: DiscrepancyKind[] = [
  'output_tokens_over_bound',
  'output_tokens_over_bound',
  'input_tokens_over_bound',
  'cost_over_reservation',
  'images_over_bound',
  'malformed_usage',
];
const usd = (micro: bigint) => `${micro / 1_000_000n}.${(micro % 1_000_000n).toString().padStart(6, '0')}`;

interface Scenario {
  providerId: string;
  provider: Browser;
  liar: TrustNode;
  honest: TrustNode;
}

describe('consequences: a node accumulating discrepancies is suspended, its earnings held until an admin releases or claws them back', () => {
  let app: TrustApp;
  let admin: Browser;
  let store: EventStore;
  const scenarios: Record<'release' | 'clawBack', Scenario> = {} as never;

  /** A provider with a node that inflates its reports (it drifts) and an honest one; both earn from real /v1 traffic. */
  async function scenario(name: string): Promise<Scenario> {
    const { providerId, browser } = await app.provider(name);
    const liar = await app.node(providerId, [`trust-csq/${name}-liar`]);
    const honest = await app.node(providerId, [`trust-csq/${name}-honest`]);
    liar.engine.reportFactor = 1.5;
    return { providerId, provider: browser, liar, honest };
  }

  async function traffic(s: Scenario): Promise<void> {
    const dev = await app.developer(100n);
    for (const node of [s.liar, s.honest]) {
      for (let i = 0; i < REQUESTS; i++) {
        const stream = await dev.openai.chat.completions.create({ model: node.models[0], stream: true, max_tokens: 128, messages: [{ role: 'user', content: `Question ${i}` }] });
        for await (const chunk of stream) void chunk;
      }
    }
  }

  /** Provider shares by node, from the UsageRecorded events themselves. */
  async function earnedBy(nodeId: string): Promise<bigint> {
    const rows = await app.t.database.db.selectFrom('events').select('data').where('event_type', '=', 'UsageRecorded').execute();
    return rows
      .map((r) => r.data as { nodeId: string; providerShareMicroUsd: string })
      .filter((d) => d.nodeId === nodeId)
      .reduce((s, d) => s + BigInt(d.providerShareMicroUsd), 0n);
  }

  async function appendGatewayDiscrepancies(s: Scenario): Promise<void> {
    const at = new Date().toISOString();
    const notStored = await appendTrustRecords(
      store,
      GATEWAY_KINDS.map((kind, i) => ({
        id: derivedEventId(`test-discrepancy:${s.liar.nodeId}:${i}`),
        nodeId: s.liar.nodeId,
        at,
        actorId: 'system:gateway',
        event: {
          type: 'NodeUsageDiscrepancyRecorded',
          data: { nodeId: s.liar.nodeId, providerId: s.providerId, requestId: `req_test${i}`, model: s.liar.models[0], kind, reported: '50000000', bound: '64', recordedAt: at },
        },
      })),
    );
    expect(notStored).toBe(0);
  }

  async function suspendedWithHold(s: Scenario): Promise<{ reviewId: string; reason: string }> {
    const node = await eventually(
      async () => {
        const row = await app.t.database.db.selectFrom('nodes').select(['status', 'suspended_reason']).where('node_id', '=', s.liar.nodeId).executeTakeFirstOrThrow();
        if (row.status !== 'suspended') throw new Error(row.status);
        return row;
      },
      60_000,
      50,
    );
    const hold = await eventually(
      async () => app.t.database.db.selectFrom('earnings_holds').selectAll().where('node_id', '=', s.liar.nodeId).executeTakeFirstOrThrow(),
      10_000,
      50,
    );
    return { reviewId: hold.review_id, reason: node.suspended_reason as string };
  }

  const available = async (s: Scenario) => (await s.provider.get(`${app.t.url}/provider/payouts/available`)).body as Record<string, string>;
  const requestPayout = (s: Scenario, micro: bigint, payoutId: string) => s.provider.post(`${app.t.url}/provider/payouts`, { amountUsd: usd(micro), payoutId });

  beforeAll(async () => {
    app = await startTrustApp('trust_consequences', SETTINGS, { payouts: { minimumMicroUsd: 1n, holdbackMs: 0 } });
    store = app.t.app.get<EventStore>(EVENT_STORE);
    admin = (await app.staff('admin', ['admin'])).browser;
    scenarios.release = await scenario('release');
    scenarios.clawBack = await scenario('clawback');
    await traffic(scenarios.release);
    await traffic(scenarios.clawBack);
  }, 240_000);
  afterAll(async () => {
    await app?.close();
  });

  it('drift (from the gateway’s own count) and the gateway’s bound discrepancies accumulate until the node is suspended by system:node-trust, with the reason', async () => {
    for (const s of Object.values(scenarios)) {
      // The inflating node drifted, below the threshold on its own.
      const drift = await eventually(
        async () => {
          const r = (await s.provider.get(`${app.t.url}/provider/nodes/${s.liar.nodeId}/reputation`)).body;
          if (!(r.discrepancies.byKind.token_count_drift > 0)) throw new Error('no drift yet');
          return r;
        },
        20_000,
        100,
      );
      expect(drift.status).toBe('approved');
      await appendGatewayDiscrepancies(s);
      const { reason } = await suspendedWithHold(s);
      const suspension = (await store.readStream(nodeStream(s.liar.nodeId))).find((e) => e.type === 'NodeSuspended');
      const honest = await app.t.database.db.selectFrom('nodes').select('status').where('node_id', '=', s.honest.nodeId).executeTakeFirstOrThrow();
      console.log(
        `node ${s.liar.nodeId}: ${drift.discrepancies.byKind.token_count_drift} drift windows (ratio ${drift.counting.reportedToCounted}) + ${GATEWAY_KINDS.length} gateway discrepancies → ${reason}`,
      );
      expect(suspension?.metadata.actorId).toBe(TRUST_ACTOR);
      expect(reason).toMatch(/^Suspended automatically: discrepancies: \d+ in 24 h \(.*token_count_drift \d+/);
      expect(honest.status).toBe('approved');
      // The provider is told, with the reason (issue 16).
      const told = await (await sharedSmtpSink()).waitFor((m) => m.subject === 'One of your nodes was suspended' && m.text.includes(s.liar.nodeId));
      expect(told.text).toContain('Suspended automatically');
    }
  }, 180_000);

  it('the provider’s earnings from the flagged node are held: a payout request for that part is refused, the rest is payable', async () => {
    for (const s of Object.values(scenarios)) {
      await app.t.caughtUp();
      const liarEarned = await earnedBy(s.liar.nodeId);
      const honestEarned = await earnedBy(s.honest.nodeId);
      const a = await available(s);
      console.log(
        `provider ${s.providerId.slice(0, 8)}: earned ${a.earnedMicroUsd} µUSD (flagged node ${liarEarned}, honest node ${honestEarned}), held for review ${a.heldForReviewMicroUsd}, available ${a.availableMicroUsd}`,
      );
      expect(BigInt(a.earnedMicroUsd)).toBe(liarEarned + honestEarned);
      expect(BigInt(a.heldForReviewMicroUsd)).toBe(liarEarned);
      expect(BigInt(a.availableMicroUsd)).toBe(honestEarned);
      expect(liarEarned).toBeGreaterThan(0n);
      const refused = await requestPayout(s, honestEarned + 1n, `too-much-${s.providerId.slice(0, 8)}`);
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('payout_exceeds_earnings');
      expect((await requestPayout(s, honestEarned, `honest-part-${s.providerId.slice(0, 8)}`)).status).toBe(201);
      const view = (await s.provider.get(`${app.t.url}/provider/nodes/${s.liar.nodeId}/reputation`)).body;
      expect(view.reviews).toEqual([expect.objectContaining({ status: 'open', heldMicroUsd: liarEarned.toString() })]);
      expect(view.incidents).toBeUndefined(); // providers see day counts, not probe or incident times
    }
  }, 60_000);

  it('an admin releases the held earnings (audited): they become payable, the trial balance stays zero', async () => {
    const s = scenarios.release;
    const { reviewId } = await suspendedWithHold(s);
    const open = (await admin.get(`${app.t.url}/admin/node-reviews?status=open`)).body as { reviewId: string; heldMicroUsd: string }[];
    expect(open.map((r) => r.reviewId)).toContain(reviewId);
    expect((await admin.post(`${app.t.url}/admin/node-reviews/${reviewId}/release`, {})).status).toBe(400); // a reason is required
    const released = await admin.post(`${app.t.url}/admin/node-reviews/${reviewId}/release`, { reason: 'Engine misconfiguration, fixed; usage was bounded by the gateway.' });
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ decision: 'release', recorded: true });
    const liarEarned = await earnedBy(s.liar.nodeId);
    const a = await available(s);
    expect(BigInt(a.heldForReviewMicroUsd)).toBe(0n);
    expect(BigInt(a.availableMicroUsd)).toBe(liarEarned);
    expect((await requestPayout(s, liarEarned, 'released-part')).status).toBe(201);
    const release = (await store.readStream(payoutStream(s.providerId))).find((e) => e.type === 'HeldEarningsReleased');
    expect(release?.metadata.actorId).not.toBe(TRUST_ACTOR);
    await app.t.caughtUp();
    const audit = (await admin.get(`${app.t.url}/admin/audit-log?action=${encodeURIComponent('POST /admin/node-reviews/:reviewId/release')}&limit=10`)).body.items as {
      outcome: { status: number };
    }[];
    expect(audit.map((e) => e.outcome.status).sort()).toEqual([200, 400]);
    expect((await app.t.app.get(LedgerQueries).trialBalance()).totals).toMatchObject({ netMicroUsd: '0', balanced: true });
    console.log(`released ${liarEarned} µUSD to provider ${s.providerId.slice(0, 8)}; trial balance zero`);
  }, 60_000);

  it('an admin claws them back (CLI): a correcting entry Dr provider, Cr platform:clawbacks, never an edit; the trial balance stays zero', async () => {
    const s = scenarios.clawBack;
    const { reviewId } = await suspendedWithHold(s);
    const liarEarned = await earnedBy(s.liar.nodeId);
    const honestEarned = await earnedBy(s.honest.nodeId);
    const env = { DATABASE_URL: app.t.database.url, APP_SECRET: app.t.config.appSecret };
    const run = await cli(env, ['nodes:review-claw-back', '--review', reviewId, '--reason', 'Inflated usage on purpose; developers are made whole by credit corrections.']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ decision: 'claw_back', recorded: true, clawedBackMicroUsd: liarEarned.toString() });
    const again = await admin.post(`${app.t.url}/admin/node-reviews/${reviewId}/claw-back`, { reason: 'again' });
    expect(again.body).toMatchObject({ recorded: false });
    const release = await admin.post(`${app.t.url}/admin/node-reviews/${reviewId}/release`, { reason: 'changed my mind' });
    expect(release.status).toBe(409);
    expect(release.body.code).toBe('review_closed');
    await app.t.caughtUp();
    const ledger = app.t.app.get(LedgerQueries);
    const balances = await app.t.database.db
      .selectFrom('ledger_balances')
      .select(['ledger_account', 'balance_micro_usd'])
      .where('ledger_account', 'in', [`provider:${s.providerId}`, 'platform:clawbacks'])
      .execute();
    const balance = new Map(balances.map((b) => [b.ledger_account, BigInt(b.balance_micro_usd)]));
    const a = await available(s);
    console.log(
      `clawed back ${liarEarned} µUSD from provider ${s.providerId.slice(0, 8)}: provider account ${-(balance.get(`provider:${s.providerId}`) ?? 0n)} µUSD owed, platform:clawbacks ${-(balance.get('platform:clawbacks') ?? 0n)}, available ${a.availableMicroUsd}`,
    );
    // Earned minus what was clawed back (the honest part was already requested, not yet paid).
    expect(balance.get(`provider:${s.providerId}`)).toBe(-honestEarned);
    expect(balance.get('platform:clawbacks')).toBe(-liarEarned);
    expect(a).toMatchObject({ heldForReviewMicroUsd: '0', clawedBackMicroUsd: liarEarned.toString(), availableMicroUsd: '0' });
    expect((await requestPayout(s, 1n, 'after-clawback')).status).toBe(409);
    // The charges themselves are untouched: the clawback is a new transaction.
    const usage = await app.t.database.db
      .selectFrom('ledger_transactions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('type', '=', 'UsageRecorded')
      .executeTakeFirstOrThrow();
    expect(Number(usage.n)).toBe(4 * REQUESTS);
    expect((await ledger.trialBalance()).totals).toMatchObject({ netMicroUsd: '0', balanced: true });
  }, 120_000);

  it('admins see the record with each incident; projections:verify is clean', async () => {
    const view = (await admin.get(`${app.t.url}/admin/nodes/${scenarios.clawBack.liar.nodeId}/reputation`)).body;
    expect(view.incidents.length).toBeGreaterThanOrEqual(GATEWAY_KINDS.length);
    expect(view.reviews[0]).toMatchObject({ status: 'clawed_back' });
    expect(view.routingWeight).toBe(0);
    const report = await verifyProjections(app.t.database.db, store, projectors, { checkpointName: READ_MODELS_CHECKPOINT, batchSize: 41 });
    expect(report.tables.filter((t) => t.onlyLive || t.onlyRebuilt)).toEqual([]);
    expect(report.ok).toBe(true);
  }, 120_000);
});
