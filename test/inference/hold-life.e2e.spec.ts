import { request as httpRequest } from 'node:http';
import { loadConfig } from '../../src/platform/config/config';
import { LedgerQueries } from '../../src/ledger/ledger.queries';
import { CreditSpending } from '../../src/ledger/spending/credit-spending';
import { AdversarialEngine, startAdversarialEngine } from '../standins/gpu-engine/adversarial-engine';
import { eventually } from '../support/eventually';
import { Developer, InferenceHarness, MODEL, startInferenceHarness } from './harness';

const defaults = loadConfig({ NODE_ENV: 'test' });
/** The hold's life shortened: 6 s, and every request bounded below it (3 s, a stalled client 1 s). */
const CHARGES = { ...defaults.charges, holdTtlMs: 6_000, maxRequestMs: 3_000, clientDrainTimeoutMs: 1_000, recoveryGraceMs: 1_000, recoveryIntervalMs: 1_000 };

/**
 * A client that reads the response headers and first bytes, then stops reading (its socket stays
 * open); `resume()` reads what is left, to see how the response ended.
 */
function stalledClient(url: string, key: string, body: object): Promise<{ requestId: string; startedAt: number; resume(): Promise<{ bytes: number; sawDone: boolean }> }> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const req = httpRequest(
      `${url}/v1/chat/completions`,
      { method: 'POST', agent: false, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } },
      (res) => {
        let bytes = 0;
        let tail = '';
        res.once('data', (first: Buffer) => {
          bytes += first.length;
          res.pause();
          resolve({
            requestId: String(res.headers['x-request-id']),
            startedAt,
            resume: () =>
              new Promise((done) => {
                res.on('data', (chunk: Buffer) => {
                  bytes += chunk.length;
                  tail = (tail + chunk.toString('latin1')).slice(-64);
                });
                const finish = () => done({ bytes, sawDone: tail.includes('[DONE]') });
                res.once('end', finish).once('error', finish).once('close', finish);
                res.resume();
              }),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** docs/trusting-nodes.md, "Holds": no request outlives the hold that pays for it. */
describe('a hold never lapses while its request lives', () => {
  let h: InferenceHarness<AdversarialEngine>;
  /** Both nodes behave alike (a request cut at its bound rests its node; the other one serves). */
  const engines = (set: Partial<AdversarialEngine>) => h.engines.forEach((e) => Object.assign(e, set));

  beforeAll(async () => {
    h = await startInferenceHarness('hold_life', {
      engines: 2,
      startEngine: (i) => startAdversarialEngine({ models: [MODEL], name: `slow-${i}` }),
      overrides: { charges: CHARGES, inference: { ...defaults.inference, upstreamFirstByteTimeoutMs: 2_000, upstreamIdleTimeoutMs: 2_000 } },
    });
  }, 60_000);
  afterEach(() => engines({ chunks: 5, chunkText: ' word', chunkDelayMs: 0, stallAfterChunks: null }));
  afterAll(async () => {
    await h?.close();
  });

  async function charges(dev: Developer) {
    await h.t.caughtUp();
    const { rows } = await h.t.database.pool.query<{ data: { requestId: string; status: string; costMicroUsd: string; reservedMicroUsd: string; outputTokens: number } }>(
      `SELECT data FROM events WHERE stream LIKE $1 AND event_type = 'UsageRecorded'`,
      [`usage-${dev.accountId}-%`],
    );
    return rows.map((r) => r.data);
  }

  it('with the hold life shortened, a client that stops reading is cut off and charged once; the same credits are never spent twice (overspend 0 µUSD)', async () => {
    // A stream far larger than what the gateway may hold for a client that does not read.
    engines({ chunks: 16_000, chunkText: 'x'.repeat(16_384) });
    const body = { model: MODEL, messages: [{ role: 'user', content: 'write a long story' }], stream: true, max_tokens: 16_000 };
    // The wallet covers one such reservation (≈ 33,000 µUSD) but not two.
    const wallet = 42_000n;
    const dev = await h.developer({ microUsd: wallet }, { requestsPerMinute: 10_000 });

    const stalled = await stalledClient(h.t.url, dev.key, body);
    // Another client on the same key keeps asking for the same credits until past the stalled request's hold life.
    let accepted = 0;
    let refused = 0;
    const until = Date.now() + CHARGES.holdTtlMs + 2_000;
    while (Date.now() < until) {
      const res = await fetch(`${h.t.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${dev.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await res.arrayBuffer();
      if (res.status === 200) accepted++;
      else {
        expect([402, 503]).toContain(res.status); // out of credits, or both nodes resting after a cut
        refused++;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    // The stalled request's charge was stored (and its hold closed) within its time bound, long before the hold could lapse.
    const { rows: stored } = await h.t.database.pool.query<{ created_at: Date }>(`SELECT created_at FROM events WHERE event_type = 'UsageRecorded' AND data->>'requestId' = $1`, [
      stalled.requestId,
    ]);
    const chargedAfterMs = stored[0].created_at.getTime() - stalled.startedAt;
    expect(chargedAfterMs).toBeLessThan(CHARGES.maxRequestMs + 1_000);
    const seenByClient = await stalled.resume();
    expect(seenByClient.sawDone).toBe(false);

    const recorded = await charges(dev);
    expect(recorded.find((c) => c.requestId === stalled.requestId)?.status).toMatch(/client_disconnected|upstream_failed/);
    expect(recorded).toHaveLength(1 + accepted); // the stalled request once, every accepted one once
    const charged = recorded.reduce((s, c) => s + BigInt(c.costMicroUsd), 0n);
    for (const c of recorded) expect(BigInt(c.costMicroUsd)).toBeLessThanOrEqual(BigInt(c.reservedMicroUsd));
    const overspend = charged > wallet ? charged - wallet : 0n;
    expect(overspend).toBe(0n);
    await eventually(async () => expect(await h.t.app.get(CreditSpending).funds(dev.accountId)).toMatchObject({ heldMicroUsd: 0n, balanceMicroUsd: wallet - charged }));
    expect((await h.t.app.get(LedgerQueries).trialBalance()).totals.balanced).toBe(true);
    const a = recorded.find((c) => c.requestId === stalled.requestId)!;
    console.log(
      `stalled client: cut and charged ${chargedAfterMs} ms after it started (request bound ${CHARGES.maxRequestMs} ms, drain bound ${CHARGES.clientDrainTimeoutMs} ms, hold ${CHARGES.holdTtlMs} ms), no [DONE] (${seenByClient.bytes} bytes reached it); ` +
        `charged once (${a.status}), ${a.costMicroUsd} µUSD for ${a.outputTokens} tokens relayed (reserved ${a.reservedMicroUsd}); the same credits asked for ${accepted + refused} times over ${CHARGES.holdTtlMs + 2_000} ms: ` +
        `${accepted} accepted against what was left, ${refused} refused; wallet ${wallet}, charged ${charged} µUSD, overspend ${overspend} µUSD`,
    );
  }, 90_000);

  it("a node too slow to finish is cut at the request's time bound, before its hold lapses, and charged for what was relayed", async () => {
    engines({ chunks: 100, chunkDelayMs: 200 }); // 20 s of output, one chunk within every idle bound
    const dev = await h.developer(1n);
    const started = Date.now();
    const res = await fetch(`${h.t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dev.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 500 }),
    });
    const text = await res.text();
    const tookMs = Date.now() - started;
    expect(tookMs).toBeLessThan(CHARGES.maxRequestMs + 1_000);
    expect(text).toContain('"code":"request_timeout"');
    expect(text).not.toContain('[DONE]');
    const [charge] = await charges(dev);
    expect(charge).toMatchObject({ status: 'upstream_failed' });
    expect(charge.outputTokens).toBeGreaterThan(0);
    expect(charge.outputTokens).toBeLessThan(100);
    await eventually(async () => expect((await h.t.app.get(CreditSpending).funds(dev.accountId)).heldMicroUsd).toBe(0n));
    console.log(
      `slow node: cut after ${tookMs} ms (request bound ${CHARGES.maxRequestMs} ms, hold ${CHARGES.holdTtlMs} ms), charged ${charge.outputTokens} tokens relayed, ${charge.costMicroUsd} µUSD`,
    );
  }, 30_000);
});
