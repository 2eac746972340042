import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A 3-primary Redis Cluster on loopback for `npm run test:cluster` (no replicas: tests need no failover). */
export const CLUSTER_PORTS = [7101, 7102, 7103];
export const TEST_CLUSTER_URL = `redis://${CLUSTER_PORTS.map((p) => `127.0.0.1:${p}`).join(',')}`;

async function cli(port: number, ...args: string[]): Promise<string> {
  return (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 })).stdout;
}

async function clusterOk(): Promise<boolean> {
  try {
    const infos = await Promise.all(CLUSTER_PORTS.map((p) => cli(p, 'cluster', 'info')));
    return infos.every((info) => info.includes('cluster_state:ok'));
  } catch {
    return false;
  }
}

/**
 * Starts the cluster unless it is already up (then it is reused, so repeated runs cost nothing).
 * Servers keep nothing on disk beyond their nodes-P.conf in a temporary directory.
 */
export async function ensureTestCluster(): Promise<string> {
  if (await clusterOk()) return TEST_CLUSTER_URL;
  const dir = mkdtempSync(join(tmpdir(), 'tg-redis-cluster-'));
  for (const port of CLUSTER_PORTS) {
    const up = await cli(port, 'ping').catch(() => '');
    if (up.includes('PONG')) continue; // a half-made cluster from an interrupted start: joined below
    await run('redis-server', [
      ...['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes'],
      ...['--cluster-config-file', join(dir, `nodes-${port}.conf`), '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--dir', dir],
    ]);
  }
  for (let i = 0; i < 50 && !(await Promise.all(CLUSTER_PORTS.map((p) => cli(p, 'ping').catch(() => '')))).every((r) => r.includes('PONG')); i++) await sleep(100);
  const slots = await cli(CLUSTER_PORTS[0], 'cluster', 'info');
  if (!slots.includes('cluster_slots_assigned:16384')) {
    await run('redis-cli', ['--cluster', 'create', ...CLUSTER_PORTS.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
  }
  for (let i = 0; i < 100; i++) {
    if (await clusterOk()) return TEST_CLUSTER_URL;
    await sleep(100);
  }
  throw new Error(`the test Redis Cluster on ports ${CLUSTER_PORTS.join(', ')} did not reach cluster_state:ok`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// `ts-node test/support/redis-cluster.ts`: start it (npm run test:cluster does, before jest).
if (require.main === module) {
  ensureTestCluster().then(
    (url) => console.log(`test Redis Cluster up: ${url}`),
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
