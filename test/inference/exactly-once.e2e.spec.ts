import { LedgerQueries } from '../../src/ledger/ledger.queries';
import { CreditSpending } from '../../src/ledger/spending/credit-spending';
import { eventually } from '../support/eventually';
import { InferenceHarness, MODEL, startInferenceHarness } from './harness';

type Outcome = 'done' | 'aborted' | 'error';

/** Invariant 3: every response that reached [DONE] is charged once, whatever races with it. */
describe('exactly-once charging under concurrency, client disconnects and a failing engine', () => {
  let h: InferenceHarness;

  beforeAll(async () => {
    h = await startInferenceHarness('inference_exactly_once', { engines: 2 });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('charges in the ledger equal the usage events, one per request id; completed streams are charged once; the trial balance is zero', async () => {
    const dev = await h.developer(20n, { requestsPerMinute: 10_000 });
    for (const e of h.engines) e.chunkDelayMs = 3;
    // Engine 1 refuses everything at first (failover before the first byte), then cuts streams mid-way.
    h.engines[1].failWith = 500;
    const outcomes = new Map<string, Outcome>();
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;

    const one = async (i: number) => {
      const abort = new AbortController();
      const disconnect = random() < 0.35;
      let requestId = '';
      try {
        const { data: stream, response } = await dev.openai.chat.completions
          .create({ model: MODEL, messages: [{ role: 'user', content: `request ${i}` }], stream: true }, { signal: abort.signal })
          .withResponse();
        requestId = response.headers.get('x-request-id') ?? '';
        let chunks = 0;
        let aborted = false;
        for await (const _ of stream) {
          void _;
          if (disconnect && ++chunks === 2) {
            aborted = true;
            abort.abort(); // the SDK then ends the iteration quietly
          }
        }
        outcomes.set(requestId, aborted ? 'aborted' : 'done');
      } catch {
        if (requestId) outcomes.set(requestId, disconnect ? 'aborted' : 'error');
      }
    };
    await Promise.all(Array.from({ length: 40 }, (_, i) => one(i)));
    h.engines[1].failWith = null;
    h.engines[1].cutAfterChunks = 2;
    await Promise.all(Array.from({ length: 40 }, (_, i) => one(40 + i)));
    h.engines[1].cutAfterChunks = null;

    const counts = [...outcomes.values()].reduce<Record<string, number>>((c, o) => ((c[o] = (c[o] ?? 0) + 1), c), {});
    expect(counts.done).toBeGreaterThan(20);
    expect(counts.aborted).toBeGreaterThan(5);

    await h.t.caughtUp();
    const pool = h.t.database.pool;
    const { rows: usage } = await pool.query<{ request_id: string; status: string; cost: string; event_id: string }>(
      `SELECT data->>'requestId' AS request_id, data->>'status' AS status, data->>'costMicroUsd' AS cost, event_id::text FROM events WHERE stream LIKE $1 AND event_type = 'UsageRecorded'`,
      [`usage-${dev.accountId}-%`],
    );
    // One usage event per request id.
    expect(new Set(usage.map((u) => u.request_id)).size).toBe(usage.length);
    const byRequest = new Map(usage.map((u) => [u.request_id, u]));
    for (const [requestId, outcome] of outcomes) {
      if (outcome === 'done') expect({ requestId, status: byRequest.get(requestId)?.status }).toEqual({ requestId, status: 'completed' });
    }
    // A client that went away is charged for what was generated, never for more than a completed stream.
    const disconnected = usage.filter((u) => u.status === 'client_disconnected');
    expect(disconnected.length).toBeGreaterThan(0);
    for (const u of disconnected) expect(BigInt(u.cost)).toBeLessThanOrEqual(17n);

    // The ledger holds exactly these charges: one transaction per charged usage event, same amounts.
    const charged = usage.filter((u) => BigInt(u.cost) > 0n);
    const { rows: ledgerTxs } = await pool.query<{ event_id: string; amount: string }>(
      `SELECT event_id::text, amount_micro_usd::text AS amount FROM ledger_transactions WHERE type = 'UsageRecorded' AND owner_id = $1`,
      [dev.accountId],
    );
    expect(ledgerTxs.map((t) => [t.event_id, t.amount]).sort()).toEqual(charged.map((u) => [u.event_id, u.cost]).sort());
    const spent = charged.reduce((s, u) => s + BigInt(u.cost), 0n);
    const ledger = h.t.app.get(LedgerQueries);
    expect((await ledger.accountTotals(`developer:${dev.accountId}`)).normalBalanceMicroUsd).toBe((20_000_000n - spent).toString());
    expect((await ledger.trialBalance()).totals).toMatchObject({ netMicroUsd: '0', balanced: true });
    // Every hold was settled or released: Redis agrees with the ledger.
    await eventually(async () => expect(await h.t.app.get(CreditSpending).funds(dev.accountId)).toMatchObject({ heldMicroUsd: 0n, balanceMicroUsd: 20_000_000n - spent }));
  }, 90_000);
});
