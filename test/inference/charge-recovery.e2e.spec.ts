import { loadConfig } from '../../src/platform/config/config';
import { LedgerQueries } from '../../src/ledger/ledger.queries';
import { CreditSpending } from '../../src/ledger/spending/credit-spending';
import { UsageRecovery } from '../../src/metering/usage-recovery';
import { eventually } from '../support/eventually';
import { Developer, InferenceHarness, MODEL, startInferenceHarness } from './harness';

const defaults = loadConfig({ NODE_ENV: 'test' });
const CHARGES = { ...defaults.charges, holdTtlMs: 30_000, maxRequestMs: 4_000, recoveryGraceMs: 1_000, recoveryIntervalMs: 500 };
/** The engine stand-in's usage: 7 prompt + 5 completion tokens at $1 / $2 per million. */
const EXACT_COST = '17';

/**
 * Faults injected in the real PostgreSQL: a trigger makes the event store refuse charges (as a
 * full disk or a broken table would), another makes the intents table refuse exact charges.
 */
const REFUSE_CHARGES = `
  CREATE OR REPLACE FUNCTION tg_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$;
  CREATE TRIGGER tg_test_refuse_charges BEFORE INSERT ON events FOR EACH ROW WHEN (NEW.event_type = 'UsageRecorded') EXECUTE FUNCTION tg_test_refuse();`;
const REFUSE_FINALS = `
  CREATE TRIGGER tg_test_refuse_finals BEFORE INSERT OR UPDATE ON usage_intents FOR EACH ROW WHEN (NEW.final IS NOT NULL) EXECUTE FUNCTION tg_test_refuse();`;

interface Charge {
  requestId: string;
  costMicroUsd: string;
  reservedMicroUsd: string;
  recovered?: string;
  estimated: boolean;
  status: string;
}

/** docs/trusting-nodes.md, "Recovery": nothing delivered goes unpaid, and nothing is charged twice. */
describe('charges that cannot be stored at once are recorded later, exactly once, from a durable intent', () => {
  let h: InferenceHarness;

  beforeAll(async () => {
    h = await startInferenceHarness('charge_recovery', { overrides: { charges: CHARGES } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  const sql = (text: string) => h.t.database.pool.query(text);

  async function streams(dev: Developer, n: number): Promise<{ requestId: string; sawDone: boolean; text: string }[]> {
    return Promise.all(
      Array.from({ length: n }, async () => {
        const res = await fetch(`${h.t.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${dev.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Say hello' }], stream: true, max_tokens: 100 }),
        });
        const body = await res.text();
        return { requestId: res.headers.get('x-request-id') ?? '', sawDone: body.includes('data: [DONE]'), text: body };
      }),
    );
  }

  async function charges(dev: Developer): Promise<Charge[]> {
    await h.t.caughtUp();
    const { rows } = await h.t.database.pool.query<{ data: Charge }>(`SELECT data FROM events WHERE stream LIKE $1 AND event_type = 'UsageRecorded'`, [`usage-${dev.accountId}-%`]);
    return rows.map((r) => r.data);
  }

  async function balanced(dev: Developer, wallet: bigint, charged: bigint): Promise<void> {
    const ledger = h.t.app.get(LedgerQueries);
    expect((await ledger.trialBalance()).totals).toMatchObject({ netMicroUsd: '0', balanced: true });
    expect((await ledger.accountTotals(`developer:${dev.accountId}`)).normalBalanceMicroUsd).toBe((wallet - charged).toString());
    await eventually(async () => expect(await h.t.app.get(CreditSpending).funds(dev.accountId)).toMatchObject({ heldMicroUsd: 0n, balanceMicroUsd: wallet - charged }));
  }

  it('the event store refuses charges: every stream still ends with [DONE] (its exact charge is kept), the holds stay, and once the store is back each is charged once, exactly', async () => {
    const dev = await h.developer(1n, { requestsPerMinute: 10_000 });
    await sql(REFUSE_CHARGES);
    let seen;
    try {
      seen = await streams(dev, 20);
      expect(seen.every((s) => s.sawDone && s.text.includes('Hello'))).toBe(true);
      const { rows } = await h.t.database.pool.query<{ n: string }>('SELECT count(*) AS n FROM usage_intents WHERE final IS NOT NULL AND account_id = $1', [dev.accountId]);
      expect(Number(rows[0].n)).toBe(20);
      // While the store refuses, recovery keeps trying; nothing is charged and the holds stay.
      await eventually(async () => {
        const { rows: tried } = await h.t.database.pool.query<{ n: string }>('SELECT count(*) AS n FROM usage_intents WHERE attempts > 0 AND account_id = $1', [dev.accountId]);
        expect(Number(tried[0].n)).toBe(20);
      }, 10_000);
      expect(await charges(dev)).toHaveLength(0);
      expect((await h.t.app.get(CreditSpending).funds(dev.accountId)).heldMicroUsd).toBeGreaterThan(0n);
    } finally {
      await sql('DROP TRIGGER IF EXISTS tg_test_refuse_charges ON events');
    }
    const held = (await h.t.app.get(CreditSpending).funds(dev.accountId)).heldMicroUsd;
    await eventually(async () => expect(await charges(dev)).toHaveLength(20), 15_000);
    const recorded = await charges(dev);
    expect(new Set(recorded.map((c) => c.requestId))).toEqual(new Set(seen.map((s) => s.requestId)));
    for (const c of recorded) expect(c).toMatchObject({ recovered: 'final', costMicroUsd: EXACT_COST, estimated: false, status: 'completed' });
    const { rows: left } = await h.t.database.pool.query('SELECT 1 FROM usage_intents WHERE account_id = $1', [dev.accountId]);
    expect(left).toHaveLength(0);
    const charged = recorded.reduce((s, c) => s + BigInt(c.costMicroUsd), 0n);
    await balanced(dev, 1_000_000n, charged);
    // An intent whose deletion was lost (the process died after storing the charge) is found charged, never charged again.
    const again = seen[0].requestId;
    await h.t.database.pool.query(
      `INSERT INTO usage_intents (request_id, account_id, opened_at, due_at, charge) SELECT $1, $2, now(), now(), charge FROM (SELECT jsonb_build_object('command', data || jsonb_build_object('type', 'RecordUsage', 'at', data->>'recordedAt', 'providerShareBps', 7000), 'context', metadata, 'discrepancies', '[]'::jsonb) AS charge FROM events WHERE event_type = 'UsageRecorded' AND data->>'requestId' = $1) c`,
      [again, dev.accountId],
    );
    expect(await h.t.app.get(UsageRecovery).runOnce()).toMatchObject({ recovered: 0, alreadyCharged: 1, failed: 0 });
    expect(await charges(dev)).toHaveLength(20);
    await balanced(dev, 1_000_000n, charged);
    console.log(
      `event store refusing charges: 20 streams ended with [DONE], ${held} µUSD stayed held meanwhile; once it was back, recovery stored ${recorded.length} charges (each once, exact: ${EXACT_COST} µUSD), trial balance 0, held 0`,
    );
  }, 90_000);

  it('neither the charge nor its exact figures can be stored: no [DONE]; once due, the intent written before the first byte charges the request once, at its bound', async () => {
    const dev = await h.developer(1n, { requestsPerMinute: 10_000 });
    await sql(REFUSE_CHARGES + REFUSE_FINALS);
    let seen;
    try {
      seen = await streams(dev, 5);
      for (const s of seen) {
        expect(s.text).toContain('Hello'); // delivered
        expect(s.sawDone).toBe(false);
        expect(s.text).toContain('"code":"metering_unavailable"');
      }
    } finally {
      await sql('DROP TRIGGER IF EXISTS tg_test_refuse_charges ON events; DROP TRIGGER IF EXISTS tg_test_refuse_finals ON usage_intents');
    }
    await eventually(async () => expect(await charges(dev)).toHaveLength(5), CHARGES.maxRequestMs + CHARGES.recoveryGraceMs + 15_000);
    const recorded = await charges(dev);
    expect(new Set(recorded.map((c) => c.requestId))).toEqual(new Set(seen.map((s) => s.requestId)));
    for (const c of recorded) expect(c).toMatchObject({ recovered: 'bound', estimated: true, costMicroUsd: c.reservedMicroUsd });
    const charged = recorded.reduce((s, c) => s + BigInt(c.costMicroUsd), 0n);
    await balanced(dev, 1_000_000n, charged);
    console.log(
      `charge and exact figures both refused: 5 delivered streams without [DONE]; recovered once each at the bound (${recorded[0].costMicroUsd} µUSD = the reservation), trial balance 0, held 0`,
    );
  }, 90_000);
});
