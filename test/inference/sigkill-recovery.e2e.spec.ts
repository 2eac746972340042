import { entryPoint } from '../support/entry-point';
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/platform/config/config';
import { LedgerQueries } from '../../src/ledger/ledger.queries';
import { CreditSpending } from '../../src/ledger/spending/credit-spending';
import { TEST_REDIS_URL } from '../support/database';
import { eventually } from '../support/eventually';
import { freePort } from '../support/net';
import { TEST_NODE_CIDRS } from '../support/app';
import { InferenceHarness, MODEL, startInferenceHarness } from './harness';

const defaults = loadConfig({ NODE_ENV: 'test' });
const MAX_REQUEST_MS = 3_000;
const GRACE_MS = 500;
const STREAMS = 10;

interface Child {
  url: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * The API role of the real entry point (src/main.ts) in a child process, on the harness's database,
 * Redis key space and secret: the in-process harness is then the worker (projections, feeder) and
 * the node's gateway for heartbeats.
 */
async function startApi(h: InferenceHarness, env: Record<string, string>): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, [...entryPoint('src/main.ts'), 'api'], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: h.t.database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: h.t.config.redisKeyPrefix,
      APP_SECRET: h.t.config.appSecret,
      BULLMQ_PREFIX: `tg-test:${randomUUID().slice(0, 8)}`,
      NODE_REGISTRY_REFRESH_MS: '50',
      PRICE_REFRESH_MS: '50',
      EVENTSTORE_POLL_INTERVAL_MS: '20',
      CREDIT_HOLD_TTL_MS: '60000',
      INFERENCE_MAX_REQUEST_MS: String(MAX_REQUEST_MS),
      INFERENCE_CLIENT_DRAIN_TIMEOUT_MS: '1000',
      UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '2000',
      UPSTREAM_IDLE_TIMEOUT_MS: '2000',
      USAGE_RECOVERY_GRACE_MS: String(GRACE_MS),
      USAGE_RECOVERY_INTERVAL_MS: '1000',
      // The engine stand-in listens on loopback (allowed explicitly, as in every test app); metrics on a free port.
      NODE_ALLOWED_CIDRS: TEST_NODE_CIDRS,
      METRICS_PORT: '0',
      TUNNEL_RELAY_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) return; // reported below, at once
      if (
        (await fetch(`${url}/health/ready`).then(
          (r) => r.status,
          () => 0,
        )) !== 200
      )
        throw new Error(`the API never became ready:\n${output}`);
    },
    60_000,
    200,
  );
  if (child.exitCode !== null) throw new Error(`the API never became ready:\n${output}`);
  return { url, child, output: () => output, exited };
}

/** docs/trusting-nodes.md, "Recovery": a process killed between the last byte and the charge. */
describe('SIGKILL between the last byte and the charge', () => {
  let h: InferenceHarness;
  const children: Child[] = [];

  beforeAll(async () => {
    // The in-process app would recover on its own schedule too; an hour keeps this test about the restarted API.
    h = await startInferenceHarness('sigkill_recovery', { overrides: { charges: { ...defaults.charges, recoveryIntervalMs: 3_600_000 } } });
  }, 60_000);
  afterAll(async () => {
    for (const c of children) c.child.kill('SIGKILL');
    await h?.close();
  });

  it('after a restart, every response the killed process delivered is charged exactly once', async () => {
    const dev = await h.developer(1n, { requestsPerMinute: 10_000 });
    // The fault: the API pauses after relaying a stream's last content byte, before storing its charge.
    const first = await startApi(h, { TEST_FAULT_PAUSE_BEFORE_CHARGE_MS: '600000' });
    children.push(first);
    await eventually(async () => {
      const res = await fetch(`${first.url}/v1/models`, { headers: { authorization: `Bearer ${dev.key}` } });
      expect(((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toContain(MODEL);
    }, 20_000);

    const delivered = new Set<string>();
    const readers = Array.from({ length: STREAMS }, async () => {
      const res = await fetch(`${first.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${dev.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Say hello' }], stream: true, max_tokens: 50 }),
      });
      const requestId = res.headers.get('x-request-id') as string;
      let text = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          text += Buffer.from(chunk).toString();
          // The finish chunk is the last thing the node sends before usage: everything was delivered.
          if (text.includes('"finish_reason":"stop"')) delivered.add(requestId);
        }
      } catch {
        // the process was killed
      }
      return { requestId, text };
    });
    await eventually(async () => expect(delivered.size).toBe(STREAMS), 30_000);
    const storedIntents = async () =>
      new Set(
        (await h.t.database.pool.query<{ request_id: string }>('SELECT request_id FROM usage_intents WHERE account_id = $1 AND final IS NULL', [dev.accountId])).rows.map(
          (i) => i.request_id,
        ),
      );
    // An intent is durable within one commit of the node's first byte (docs/trusting-nodes.md,
    // "Intents"); on a loaded machine a whole short stream can be delivered inside that window, so
    // the kill comes once the intents are stored: this test is about what recovery does with them.
    await eventually(async () => expect(await storedIntents()).toEqual(delivered), 10_000);
    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    const seen = await Promise.all(readers);
    expect(seen.every((s) => !s.text.includes('[DONE]'))).toBe(true);
    await h.t.caughtUp();
    const count = async () =>
      Number(
        (await h.t.database.pool.query<{ n: string }>(`SELECT count(*) AS n FROM events WHERE stream LIKE $1 AND event_type = 'UsageRecorded'`, [`usage-${dev.accountId}-%`]))
          .rows[0].n,
      );
    expect(await count()).toBe(0);
    expect(await storedIntents()).toEqual(delivered);

    // Restarted once the killed requests' time bound has passed: recovery runs as it starts.
    await new Promise((r) => setTimeout(r, MAX_REQUEST_MS + GRACE_MS + 500));
    const second = await startApi(h, {});
    children.push(second);
    await eventually(async () => expect(await count()).toBe(STREAMS), 20_000);
    const restartedAfterMs = Date.now() - killedAt;
    expect(second.output()).toContain('charges recovered from intents');

    await h.t.caughtUp();
    const { rows } = await h.t.database.pool.query<{ data: { requestId: string; costMicroUsd: string; reservedMicroUsd: string; recovered: string } }>(
      `SELECT data FROM events WHERE stream LIKE $1 AND event_type = 'UsageRecorded'`,
      [`usage-${dev.accountId}-%`],
    );
    expect(new Set(rows.map((r) => r.data.requestId))).toEqual(delivered);
    expect(rows).toHaveLength(STREAMS); // once each
    for (const r of rows) expect(r.data).toMatchObject({ recovered: 'bound', costMicroUsd: r.data.reservedMicroUsd });
    expect((await h.t.database.pool.query('SELECT 1 FROM usage_intents WHERE account_id = $1', [dev.accountId])).rows).toHaveLength(0);
    const charged = rows.reduce((s, r) => s + BigInt(r.data.costMicroUsd), 0n);
    const ledger = h.t.app.get(LedgerQueries);
    expect((await ledger.trialBalance()).totals).toMatchObject({ netMicroUsd: '0', balanced: true });
    await eventually(async () => expect(await h.t.app.get(CreditSpending).funds(dev.accountId)).toMatchObject({ heldMicroUsd: 0n, balanceMicroUsd: 1_000_000n - charged }));

    second.child.kill('SIGTERM');
    await second.exited;
    console.log(
      `SIGKILL after the last byte of ${STREAMS} streams (no [DONE] reached a client, no charge stored); restarted, ${restartedAfterMs} ms after the kill every one was charged exactly once (at its bound, ${rows[0].data.costMicroUsd} µUSD = its reservation); trial balance 0, held 0`,
    );
  }, 180_000);
});
