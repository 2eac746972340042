import { projectors } from '../../../src/read-models';
import { EVENT_STORE, EventStore } from '../../../src/platform/event-store/event-store.port';
import { LedgerQueries } from '../../../src/ledger/ledger.queries';
import { nodeStream } from '../../../src/nodes/node.events';
import { NodeTrustWorkerModule } from '../../../src/nodes/trust/node-trust-worker.module';
import { NodeProber } from '../../../src/nodes/trust/probes/node-prober';
import { NodeTrustReview } from '../../../src/nodes/trust/reputation/trust-review';
import { TRUST_ACTOR } from '../../../src/nodes/trust/reputation/trust-review';
import { READ_MODELS_CHECKPOINT } from '../../../src/platform/projection-runtime/checkpoint';
import { verifyProjections } from '../../../src/platform/projection-runtime/verify';
import { eventually } from '../../support/eventually';
import { redisContaining, tablesContaining } from '../../support/privacy-scan';
import { startTrustApp, TrustApp, TrustNode } from './trust-harness';
import { openTestRedis } from '../../support/redis';

const MODELS = ['trust-test/chat-a', 'trust-test/chat-b'];
const HONEST_NODES = 12;
const HONEST_PROBES_MIN = 5_000;
const SETTINGS = {
  PROBE_INTERVAL_MS: '500',
  PROBE_FAILURES_TO_SUSPEND: '4',
  PROBE_WINDOW: '20',
  PROBE_AGREEMENT_WORDS: '8',
  PROBE_QUORUM: '3',
  PROBE_CONCURRENCY: '32',
  PROBE_MAX_TOKENS: '64',
  NODE_TRUST_REVIEW_INTERVAL_MS: '250',
};

describe('known-answer probes: a model-substituting node is caught, honest nodes are not (P1: no probe text kept)', () => {
  let app: TrustApp;
  let providerId: string;
  const honest: TrustNode[] = [];

  beforeAll(async () => {
    app = await startTrustApp('trust_probes', SETTINGS);
    ({ providerId } = await app.provider('gpu-owner'));
    const honestNode = async (i: number) => {
      const node = await app.node(providerId, MODELS, { seed: 1_000 + i });
      // Honest numerical noise: most nodes leave the greedy path late (after the compared words),
      // three "other GPU" nodes sometimes early, which a single probe cannot tell from a lie.
      node.engine.divergence = i < 3 ? { probability: 0.02, minWord: 2, maxWord: 40 } : { probability: 0.05, minWord: 8, maxWord: 40 };
      return node;
    };
    // The first node prices the models; the other eleven start side by side (each waits for its own
    // heartbeat and the projections), in the same order of names and seeds as one by one.
    honest.push(await honestNode(0));
    honest.push(...(await Promise.all(Array.from({ length: HONEST_NODES - 1 }, (_, i) => honestNode(i + 1)))));
  }, 180_000);
  afterAll(async () => {
    await app?.close();
  });

  it(`over at least ${HONEST_PROBES_MIN} probes of honest nodes, none is flagged`, async () => {
    const prober = app.t.app.get(NodeProber);
    const started = Date.now();
    let rounds = 0;
    let inconclusive = 0;
    let judged = 0;
    while (judged < HONEST_PROBES_MIN) {
      // A few rounds at once, as a slow round overlapping the next scheduled one would.
      for (const summary of await Promise.all([1, 2, 3, 4].map(() => prober.runRound()))) {
        rounds++;
        inconclusive += summary.inconclusive;
        judged += summary.passed + summary.failed;
      }
    }
    const seconds = (Date.now() - started) / 1000;
    await app.t.caughtUp();
    const ids = honest.map((n) => n.nodeId);
    const daily = await app.t.database.db.selectFrom('node_trust_daily').selectAll().where('node_id', 'in', ids).execute();
    const passed = daily.reduce((s, d) => s + Number(d.probes_passed), 0);
    const failed = daily.reduce((s, d) => s + Number(d.probes_failed), 0);
    const unanswered = daily.reduce((s, d) => s + Number(d.probes_unanswered), 0);
    // The review job runs throughout (every 250 ms); one more review of the final record, run here
    // rather than waited for, and its outcome projected.
    await app.t.app.get(NodeTrustReview).run();
    await app.t.caughtUp();
    const nodes = await app.t.database.db.selectFrom('nodes').select(['node_id', 'status']).where('node_id', 'in', ids).execute();
    const reviews = await app.t.database.db.selectFrom('earnings_holds').select('node_id').where('node_id', 'in', ids).execute();
    console.log(
      `honest probes: ${passed + failed} judged (${rounds} rounds driven directly, the BullMQ job adding its own), ${passed} passed, ${failed} isolated failures ` +
        `(${((failed / (passed + failed)) * 100).toFixed(3)} %), ${unanswered} unanswered, ${inconclusive} inconclusive rounds, ${nodes.filter((n) => n.status !== 'approved').length} of ${ids.length} nodes suspended, ` +
        `${Math.round(judged / seconds)} probes/s`,
    );
    expect(passed + failed).toBeGreaterThanOrEqual(HONEST_PROBES_MIN);
    expect(nodes.map((n) => n.status)).toEqual(ids.map(() => 'approved'));
    expect(reviews).toEqual([]);
    expect(inconclusive).toBe(0);
    // Early divergence happened and was tolerated: the threshold is on a window, not one probe.
    expect(failed).toBeLessThan((passed + failed) * 0.01);
  }, 240_000);

  it('a node answering with another model’s output is flagged by the BullMQ probe job within the configured time, then suspended by system:node-trust with its earnings held', async () => {
    const started = Date.now();
    const liar = await app.node(providerId, MODELS, { seed: 7 });
    liar.engine.substitute = 'trust-test/a-cheaper-model';
    const budgetMs = Number(SETTINGS.PROBE_FAILURES_TO_SUSPEND) * Number(SETTINGS.PROBE_INTERVAL_MS) + Number(SETTINGS.NODE_TRUST_REVIEW_INTERVAL_MS);
    const suspended = await eventually(
      async () => {
        const row = await app.t.database.db
          .selectFrom('nodes')
          .select(['status', 'suspended_reason', 'status_changed_at'])
          .where('node_id', '=', liar.nodeId)
          .executeTakeFirstOrThrow();
        if (row.status !== 'suspended') throw new Error(`still ${row.status}`);
        return row;
      },
      budgetMs + 15_000,
      50,
    );
    const elapsedMs = suspended.status_changed_at.getTime() - started;
    const store = app.t.app.get<EventStore>(EVENT_STORE);
    const nodeEvents = await store.readStream(nodeStream(liar.nodeId));
    const suspension = nodeEvents.find((e) => e.type === 'NodeSuspended');
    const hold = await eventually(async () => app.t.database.db.selectFrom('earnings_holds').selectAll().where('node_id', '=', liar.nodeId).executeTakeFirstOrThrow());
    console.log(
      `substituting node: suspended ${elapsedMs} ms after it was approved (budget ${budgetMs} ms = ${SETTINGS.PROBE_FAILURES_TO_SUSPEND} failed probes × ${SETTINGS.PROBE_INTERVAL_MS} ms + one review interval, plus projection lag); reason: ${suspended.suspended_reason}`,
    );
    expect(suspension?.metadata.actorId).toBe(TRUST_ACTOR);
    expect(suspended.suspended_reason).toMatch(/^Suspended automatically: probes: \d+ of the last \d+ answers differed from the reference/);
    expect(elapsedMs).toBeLessThan(budgetMs + 10_000);
    expect(hold).toMatchObject({ provider_id: providerId, status: 'open', held_by: TRUST_ACTOR });
    const honestNow = await app.t.database.db
      .selectFrom('nodes')
      .select('status')
      .where(
        'node_id',
        'in',
        honest.map((n) => n.nodeId),
      )
      .execute();
    expect(honestNow.every((n) => n.status === 'approved')).toBe(true);
    // The rest of the suite reads what was recorded: stop the probe rounds (as a worker shutting down does).
    await app.t.app.get(NodeTrustWorkerModule).onModuleDestroy();
  }, 60_000);

  it('probes are paid by the platform: list price to platform:probe_expense, nothing to any developer or provider, trial balance zero', async () => {
    await app.t.caughtUp();
    const ledger = app.t.app.get(LedgerQueries);
    const trial = await ledger.trialBalance();
    expect(trial.totals).toMatchObject({ netMicroUsd: '0', balanced: true });
    const { db } = app.t.database;
    const cost = await db
      .selectFrom('node_trust_daily')
      .select((eb) => eb.fn.sum<string>('probe_cost_micro_usd').as('c'))
      .executeTakeFirstOrThrow();
    const balances = await db.selectFrom('ledger_balances').select(['ledger_account', 'balance_micro_usd']).execute();
    const byAccount = new Map(balances.map((b) => [b.ledger_account, BigInt(b.balance_micro_usd)]));
    console.log(
      `probe expense at list price: ${byAccount.get('platform:probe_expense')} µUSD (= the allowance), ${balances.filter((b) => /^(developer|provider):/.test(b.ledger_account)).length} developer or provider accounts touched`,
    );
    expect(BigInt(cost.c)).toBeGreaterThan(0n);
    expect(byAccount.get('platform:probe_expense')).toBe(BigInt(cost.c));
    expect(byAccount.get('platform:probe_allowance')).toBe(-BigInt(cost.c));
    expect(balances.filter((b) => /^(developer|provider):/.test(b.ledger_account))).toEqual([]);
  });

  it('no prompt or answer text of a probe is kept anywhere (events, tables, Redis): only metadata', async () => {
    const probeEvents = await app.t.database.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('event_type', 'like', 'NodeProbe%')
      .executeTakeFirstOrThrow();
    expect(Number(probeEvents.n)).toBeGreaterThan(HONEST_PROBES_MIN);
    const snippets = honest.slice(0, 3).map((n) => n.engine.answers[n.engine.answers.length - 1].split(' ').slice(0, 6).join(' '));
    expect(await tablesContaining(app.t.database.pool, ['trust-test/chat-a'])).toEqual(expect.arrayContaining([expect.stringMatching(/^events: /)])); // the scan finds metadata
    expect(await tablesContaining(app.t.database.pool, snippets)).toEqual([]);
    const redis = openTestRedis();
    try {
      expect(await redisContaining(redis, snippets)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  }, 180_000);

  it('projections:verify is clean (the reputation read models rebuild to the same rows)', async () => {
    await app.t.caughtUp();
    const report = await verifyProjections(app.t.database.db, app.t.app.get<EventStore>(EVENT_STORE), projectors, { checkpointName: READ_MODELS_CHECKPOINT, batchSize: 97 });
    expect(report.tables.filter((t) => t.onlyLive || t.onlyRebuilt)).toEqual([]);
    expect(report.ok).toBe(true);
  }, 120_000);
});
