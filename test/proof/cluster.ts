import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { TEST_NODE_CIDRS } from '../support/app';
import { TEST_REDIS_URL } from '../support/database';
import { entryPoint } from '../support/entry-point';
import { waitFor } from '../support/eventually';
import { freePort } from '../support/net';

const ROOT = join(__dirname, '..', '..');

/** One Tollgate process as production runs it (`main.js api` or `main.js worker`). */
export interface Instance {
  name: string;
  role: 'api' | 'worker';
  url: string;
  child: ChildProcess;
  /** stdout + stderr so far (warnings and errors only: LOG_LEVEL=warn). */
  output(): string;
  /** Set when the process exited without being told to (a crash): its exit code or signal. */
  crashed: string | null;
}

export interface Cluster {
  apis: Instance[];
  worker: Instance;
  /** SIGKILL, as a crash or an OOM kill does: no drain, no shutdown hooks. */
  kill(instance: Instance): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The environment every process shares: one database, one Redis key space, one BullMQ prefix. The
 * request bounds are short so that recovery of a killed instance's requests comes due within seconds
 * (INFERENCE_MAX_REQUEST_MS + USAGE_RECOVERY_GRACE_MS after the reservation; docs/trusting-nodes.md).
 */
function sharedEnv(databaseUrl: string, redisKeyPrefix: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    // development: production accepts https nodes only, and the stand-in is plain http on loopback.
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.PROOF_LOG_LEVEL ?? 'warn',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    BULLMQ_PREFIX: `${redisKeyPrefix}bull`,
    NODE_ALLOWED_CIDRS: TEST_NODE_CIDRS,
    NODE_HEARTBEAT_TTL_MS: '600000',
    PROBE_INTERVAL_MS: '0',
    EVENTSTORE_POLL_INTERVAL_MS: '20',
    MAIL_DIR: join(os.tmpdir(), 'tollgate-proof-mail'),
    // Per-key limits come from the keys (the rate-limited key has its own); the rest must not get in the way.
    RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
    RATE_LIMIT_TOKENS_PER_MINUTE: '1000000000',
    ACCOUNT_RATE_LIMIT_REQUESTS_PER_MINUTE: '10000000',
    ACCOUNT_RATE_LIMIT_TOKENS_PER_MINUTE: '10000000000',
    ACCOUNT_MAX_CONCURRENT_STREAMS: '100000',
    INFERENCE_MAX_REQUEST_MS: '3000',
    UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '2000',
    UPSTREAM_IDLE_TIMEOUT_MS: '2000',
    INFERENCE_CLIENT_DRAIN_TIMEOUT_MS: '2000',
    USAGE_RECOVERY_GRACE_MS: '500',
    USAGE_RECOVERY_INTERVAL_MS: '500',
  };
}

/** Processes the proof stopped or killed on purpose; any other exit is a crash. */
const told = new WeakSet<ChildProcess>();

async function startInstance(name: string, role: 'api' | 'worker', env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, [...entryPoint('src/main.ts'), role], {
    cwd: ROOT,
    env: { ...env, PORT: String(port), METRICS_PORT: String(await freePort()), TUNNEL_RELAY_PORT: String(await freePort()) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // PROOF_LOG_DIR: each process's whole log in a file as well (with PROOF_LOG_LEVEL=debug, to see why a request failed).
  const file = process.env.PROOF_LOG_DIR ? createWriteStream(join(process.env.PROOF_LOG_DIR, `${name}.log`)) : null;
  child.stdout!.on('data', (d) => ((output += d), file?.write(d)));
  child.stderr!.on('data', (d) => ((output += d), file?.write(d)));
  child.once('exit', () => file?.end());
  const instance: Instance = { name, role, url: `http://127.0.0.1:${port}`, child, output: () => output, crashed: null };
  child.on('exit', (code, signal) => {
    if (!told.has(child)) instance.crashed = signal ?? `exit ${code}`;
  });
  return instance;
}

async function waitReady(instance: Instance, timeoutMs: number): Promise<void> {
  const ready = async () =>
    (await fetch(`${instance.url}/health/ready`).then(
      (r) => r.status,
      () => 0,
    )) === 200;
  const outcome = await waitFor(async () => (instance.child.exitCode !== null ? 'exited' : (await ready()) && 'ready'), timeoutMs, `${instance.name} to be ready`, 150).catch(
    () => 'never ready',
  );
  if (outcome === 'exited') throw new Error(`${instance.name} exited with ${instance.child.exitCode}:\n${instance.output()}`);
  if (outcome !== 'ready') throw new Error(`${instance.name} never became ready:\n${instance.output()}`);
}

/** `apiCount` API instances and one worker on the shared stores, all ready. */
export async function startCluster(databaseUrl: string, redisKeyPrefix: string, apiCount: number): Promise<Cluster> {
  const env = sharedEnv(databaseUrl, redisKeyPrefix);
  // The worker first: it takes the projection leader lock; API instances never apply projections.
  const worker = await startInstance('worker', 'worker', env);
  const apis: Instance[] = [];
  for (let i = 0; i < apiCount; i++) apis.push(await startInstance(`api-${i + 1}`, 'api', env));
  const all = [worker, ...apis];
  try {
    await Promise.all(all.map((i) => waitReady(i, 90_000)));
  } catch (err) {
    for (const i of all) {
      told.add(i.child);
      i.child.kill('SIGKILL');
    }
    throw err;
  }
  return {
    apis,
    worker,
    async kill(instance) {
      if (instance.child.exitCode !== null || instance.child.signalCode !== null) return;
      const exited = once(instance.child, 'exit');
      told.add(instance.child);
      instance.child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      await Promise.all(
        all.map(async (i) => {
          if (i.child.exitCode !== null || i.child.signalCode !== null) return;
          const exited = once(i.child, 'exit');
          told.add(i.child);
          i.child.kill('SIGTERM');
          // A drain that hangs is cut short; the timer is cleared so it keeps no one waiting (jest's exit).
          const hung = setTimeout(() => i.child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(hung);
        }),
      );
    },
  };
}

/** One heartbeat keeps a node live for NODE_HEARTBEAT_TTL_MS (10 minutes here): no agent process needed for a direct node. */
export async function heartbeat(gatewayUrl: string, nodeToken: string, models: string[]): Promise<void> {
  const res = await fetch(`${gatewayUrl}/nodes/heartbeat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${nodeToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ models, inFlight: 0, queueDepth: 0 }),
  });
  await res.arrayBuffer();
  if (res.status >= 300) throw new Error(`heartbeat refused: ${res.status}`);
}
