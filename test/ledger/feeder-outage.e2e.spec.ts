import { loadConfig } from '../../src/platform/config/config';
import { LedgerQueries } from '../../src/ledger/ledger.queries';
import { BalanceFeeder } from '../../src/ledger/spending/balance-feeder';
import { CreditSpending } from '../../src/ledger/spending/credit-spending';
import { InferenceHarness, MODEL, startInferenceHarness } from '../inference/harness';
import { AdversarialEngine, startAdversarialEngine } from '../standins/gpu-engine/adversarial-engine';
import { eventually } from '../support/eventually';
import { MetricsListener } from '../../src/platform/observability/metrics-listener';

const defaults = loadConfig({ NODE_ENV: 'test' });
/** A short hold life (3 s) and a short allowed feeder lag (2 s), so an outage longer than both fits a test. */
const CHARGES = { ...defaults.charges, holdTtlMs: 3_000, feederMaxLagMs: 2_000, maxRequestMs: 1_500, recoveryGraceMs: 500, recoveryIntervalMs: 500 };

/** docs/trusting-nodes.md, "Outages": spent money never becomes spendable again while the balance feeder is down. */
describe('a balance feeder outage never reopens spent money', () => {
  let h: InferenceHarness<AdversarialEngine>;

  beforeAll(async () => {
    h = await startInferenceHarness('feeder_outage', {
      startEngine: (i) => startAdversarialEngine({ models: [MODEL], name: `honest-${i}` }),
      overrides: { charges: CHARGES, inference: { ...defaults.inference, upstreamFirstByteTimeoutMs: 1_000, upstreamIdleTimeoutMs: 1_000 } },
    });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  const chat = (key: string, maxTokens: number) =>
    fetch(`${h.t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: maxTokens }),
    });

  it('with the feeder stopped past the hold life and the allowed lag, no credit is spent twice; spending on the account is refused (503) until the feeder is back, then balances equal the ledger', async () => {
    const engine = h.engines[0];
    // A large answer, within every bound: 8,000 tokens (≈ 16,000 µUSD of a 20,000 µUSD wallet) in 500 events of 64 bytes.
    Object.assign(engine, { chunks: 500, chunkText: 'x'.repeat(64), usage: { kind: 'claim', promptTokens: 7, completionTokens: 8_000 } });
    const wallet = 20_000n;
    const dev = await h.developer({ microUsd: wallet }, { requestsPerMinute: 10_000 });
    const bystander = await h.developer({ microUsd: wallet }, { requestsPerMinute: 10_000 });
    const feeder = h.t.app.get(BalanceFeeder);
    const spending = h.t.app.get(CreditSpending);
    await feeder.stop();
    const stoppedAt = Date.now();

    const first = await chat(dev.key, 8_000);
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('[DONE]');
    await h.t.caughtUp();
    const charged = wallet - BigInt((await h.t.app.get(LedgerQueries).accountTotals(`developer:${dev.accountId}`)).normalBalanceMicroUsd);
    expect(charged).toBeGreaterThan(wallet / 2n);
    // The feeder has not brought the charge into the cached balance: it is still held, past the hold's life.
    await new Promise((r) => setTimeout(r, CHARGES.holdTtlMs + 500));
    expect(await spending.funds(dev.accountId)).toMatchObject({ balanceMicroUsd: wallet, heldMicroUsd: charged });

    // The same money asked for again (what once succeeded after the settled entry expired), and a small amount that would fit.
    const again = await chat(dev.key, 8_000);
    const small = await chat(dev.key, 10);
    const bodies = [await again.json(), await small.json()] as { error: { code: string; type: string } }[];
    expect([again.status, small.status]).toEqual([503, 503]);
    for (const b of bodies) expect(b.error).toMatchObject({ code: 'credits_feeder_lagging', type: 'server_error' });
    // An account with nothing waiting for the feeder spends as usual.
    const other = await chat(bystander.key, 10);
    expect(other.status).toBe(200);
    await other.text();
    const metrics = await (await fetch(`http://127.0.0.1:${h.t.app.get(MetricsListener).address()!.port}/metrics`)).text();
    const refusedMetric = Number(/^tollgate_credits_refused_feeder_lag (\d+)/m.exec(metrics)?.[1]);
    expect(refusedMetric).toBeGreaterThanOrEqual(2);
    const outageMs = Date.now() - stoppedAt;

    feeder.start();
    await eventually(async () => expect(await spending.funds(dev.accountId)).toMatchObject({ balanceMicroUsd: wallet - charged, heldMicroUsd: 0n }), 15_000);
    const after = await chat(dev.key, 10);
    expect(after.status).toBe(200);
    await after.text();
    await h.t.caughtUp();
    const ledger = h.t.app.get(LedgerQueries);
    for (const d of [dev, bystander]) {
      const inLedger = BigInt((await ledger.accountTotals(`developer:${d.accountId}`)).normalBalanceMicroUsd);
      await eventually(async () => expect(await spending.funds(d.accountId)).toMatchObject({ balanceMicroUsd: inLedger, heldMicroUsd: 0n }));
      expect(inLedger).toBeGreaterThanOrEqual(0n);
    }
    expect((await ledger.trialBalance()).totals.balanced).toBe(true);
    console.log(
      `feeder stopped ${outageMs} ms (hold ${CHARGES.holdTtlMs} ms, allowed lag ${CHARGES.feederMaxLagMs} ms): ${charged} µUSD of a ${wallet} µUSD wallet charged and held throughout; ` +
        `asking again: 503 credits_feeder_lagging (metric ${refusedMetric}), re-spent 0 µUSD; an unaffected account spent as usual; after restart Redis = ledger for both accounts`,
    );
  }, 90_000);
});
