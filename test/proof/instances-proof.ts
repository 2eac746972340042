import { Kysely } from 'kysely';
import { Pool } from 'pg';
import { runCli } from '../../src/cli/main';
import { LedgerQueries } from '../../src/ledger/ledger.queries';
import { NodeAgent } from '../../src/node-agent/node-agent';
import { createLogger } from '../../src/platform/observability/logger';
import { Database } from '../../src/platform/database/schema';
import { waitFor } from '../support/eventually';
import { deleteTestKeys } from '../support/redis';
import { createTestDatabase, TEST_REDIS_URL } from '../support/database';
import { startEngine } from '../standins/gpu-engine/engine-standin';
import { startBalancer } from './balancer';
import { clientAgent } from './client';
import { heartbeat, startCluster } from './cluster';
import { checkKill, checkOverspend, checkRateLimit, checkRevocation, KillFigures, OverspendFigures, RateLimitFigures, RevocationFigures } from './money-checks';
import { PROOF_MODEL, PROOF_TUNNEL_MODEL, provisionProof, ProvisionedNode } from './provision';
import { checkTunnel, TunnelFigures } from './tunnel-check';

/** How hard the proof pushes. The jest suite runs SMALL; `npm run proof:instances` runs FULL. */
export interface ProofSize {
  apiInstances: number;
  smallBalanceMicroUsd: bigint;
  overspendClients: number;
  rateLimitPerMinute: number;
  rateClients: number;
  killClients: number;
  /** Completed streams the tunnel check runs until (its tunnel is cut twice on the way), and its clients. */
  tunnelTarget: number;
  tunnelClients: number;
  /** Delay between the stand-in's content chunks during the kill: streams last ≈ 6 × this. */
  chunkDelayMs: number;
  beforeKillMs: number;
  afterKillMs: number;
}

export const SMALL: ProofSize = {
  apiInstances: 3,
  smallBalanceMicroUsd: 1_500n,
  overspendClients: 8,
  rateLimitPerMinute: 20,
  rateClients: 6,
  killClients: 9,
  tunnelTarget: 1_000,
  tunnelClients: 12,
  chunkDelayMs: 100,
  beforeKillMs: 800,
  afterKillMs: 800,
};

export const FULL: ProofSize = {
  apiInstances: 3,
  smallBalanceMicroUsd: 20_000n,
  overspendClients: 48,
  rateLimitPerMinute: 100,
  rateClients: 24,
  killClients: 48,
  tunnelTarget: 3_000,
  tunnelClients: 48,
  chunkDelayMs: 100,
  beforeKillMs: 3_000,
  afterKillMs: 3_000,
};

export interface BooksFigures {
  debitsMicroUsd: string;
  creditsMicroUsd: string;
  netMicroUsd: string;
  verifyExitCode: number;
  verifyOk: boolean;
  verifyTablesWithDifferences: string[];
}

export interface ProofFigures {
  size: ProofSize;
  startupMs: number;
  /** Wall time of each stage (ms): where the run's time goes. */
  stageMs: Record<string, number>;
  overspend: OverspendFigures;
  revocation: RevocationFigures;
  rateLimit: RateLimitFigures;
  tunnel: TunnelFigures;
  kill: KillFigures;
  books: BooksFigures;
  /** Processes that exited on their own during the run (the SIGKILLed one is not a crash), with their last output. */
  crashes: { instance: string; how: string; lastOutput: string }[];
}

/** 5. Read models caught up, then the trial balance (ledger read model) and `projections:verify` (the CLI command, in-process). */
async function checkBooks(pool: Pool, db: Kysely<Database>, env: Record<string, string>): Promise<BooksFigures> {
  await waitFor(
    async () =>
      !(
        await pool.query<{ behind: boolean }>(
          `SELECT coalesce((SELECT max(global_position) FROM events), 0) > coalesce((SELECT prepare_position FROM projection_checkpoints WHERE name = 'read-models'), -1) AS behind`,
        )
      ).rows[0].behind,
    20_000,
    'the read models to catch up',
    100,
  );
  const trial = await new LedgerQueries(db).trialBalance();
  let out = '';
  const code = await runCli(['projections:verify'], { env, stdout: (t) => void (out += t), stderr: () => undefined });
  const report = JSON.parse(out) as { ok: boolean; tables: { table: string; onlyLive: number; onlyRebuilt: number }[] };
  return {
    debitsMicroUsd: trial.totals.debitsMicroUsd,
    creditsMicroUsd: trial.totals.creditsMicroUsd,
    netMicroUsd: trial.totals.netMicroUsd,
    verifyExitCode: code,
    verifyOk: report.ok,
    verifyTablesWithDifferences: report.tables.filter((t) => t.onlyLive > 0 || t.onlyRebuilt > 0).map((t) => t.table),
  };
}

/**
 * The node behind NAT: its agent listens on nothing and dials the balancer (`--tunnel`), so its tunnel
 * lands on one instance and the other two relay to it. Ready once a request reaches it.
 */
async function startTunnelAgent(lbUrl: string, node: ProvisionedNode, engineUrl: string): Promise<NodeAgent> {
  const agent = new NodeAgent({
    gatewayUrl: lbUrl,
    nodeToken: node.token,
    engineUrl,
    engineApiKey: null,
    host: '127.0.0.1',
    port: 0,
    maxConcurrency: 64,
    maxQueue: 256,
    heartbeatIntervalMs: null,
    tunnel: true,
    tunnelBackoffMs: { base: 50, max: 400 },
    logger: createLogger('silent'),
  });
  await agent.start();
  await waitFor(() => agent.tunnel?.up && agent.status().lastHeartbeatOk, 20_000, 'the tunnelled node to come up', 20);
  return agent;
}

/**
 * The whole proof on a fresh database: provision, start `size.apiInstances` API instances, one worker
 * and the balancer, run the five checks in order (the kill last but one: it leaves an instance dead),
 * tear everything down. `log` hears progress lines.
 */
export async function runInstancesProof(size: ProofSize, log: (line: string) => void): Promise<ProofFigures> {
  const database = await createTestDatabase('proof_instances');
  const dbName = new URL(database.url).pathname.slice(1);
  const prefix = `tg:${dbName}:`;
  const engine = await startEngine({ models: [PROOF_MODEL], name: 'proof' });
  const tunnelEngine = await startEngine({ models: [PROOF_TUNNEL_MODEL], name: 'proof-behind-nat' });
  let agent: NodeAgent | null = null;
  let cluster: Awaited<ReturnType<typeof startCluster>> | null = null;
  let lb: Awaited<ReturnType<typeof startBalancer>> | null = null;
  const stageMs: Record<string, number> = {};
  let mark = Date.now();
  const stage = (name: string) => {
    stageMs[name] = Date.now() - mark;
    mark = Date.now();
  };
  try {
    stage('database');
    log('provisioning: a provider with a public node and a node behind NAT (engine stand-ins), prices, two developers with credits and keys');
    const p = await provisionProof(database.url, prefix, {
      nodes: [
        { kind: 'direct', name: 'engine-1', endpointUrl: engine.url, model: PROOF_MODEL },
        { kind: 'tunnel', name: 'behind-nat-1', model: PROOF_TUNNEL_MODEL },
      ],
      smallBalanceMicroUsd: size.smallBalanceMicroUsd,
      rateLimitPerMinute: size.rateLimitPerMinute,
    });
    stage('provision');
    log(`starting ${size.apiInstances} API instances and a worker (main.js api / main.js worker), and the balancer`);
    const t0 = Date.now();
    cluster = await startCluster(database.url, prefix, size.apiInstances);
    const startupMs = Date.now() - t0;
    lb = await startBalancer(cluster.apis.map((a) => a.url));
    for (const node of p.nodes) if (node.spec.kind === 'direct') await heartbeat(lb.url, node.token, [node.spec.model]);
    agent = await startTunnelAgent(lb.url, p.nodes.find((n) => n.spec.kind === 'tunnel') as ProvisionedNode, tunnelEngine.url);
    stage('start');

    log('1/6 overspend: draining a small balance with concurrent streams over every instance');
    const overspend = await checkOverspend(database.pool, lb, p.small, size.overspendClients);
    stage('overspend');
    log('2/6 revocation: a key revoked through the API, each instance polled directly');
    const revocation = await checkRevocation(lb.url, cluster.apis, p.main.email);
    stage('revocation');
    log('3/6 rate limit: a burst of 3 × the key limit over every instance');
    const rateLimit = await checkRateLimit(lb.url, p.main.rateKey, p.main.rateLimitPerMinute, size.rateClients);
    stage('rateLimit');
    log(`4/6 tunnel: ${size.tunnelTarget} completed streams to a node behind NAT over every instance, its tunnel cut twice`);
    tunnelEngine.chunkDelayMs = 2; // streams last long enough for a cut to catch some midway
    const tunnel = await checkTunnel(database.pool, lb, cluster.apis, agent, {
      key: p.main.tunnelKey,
      keyId: p.main.tunnelKeyId,
      clients: size.tunnelClients,
      target: size.tunnelTarget,
    });
    tunnelEngine.chunkDelayMs = 0;
    stage('tunnel');
    log('5/6 exactly once: streams over every instance, one instance SIGKILLed mid-load, then recovery');
    engine.chunkDelayMs = size.chunkDelayMs;
    const victim = 1 % cluster.apis.length;
    const kill = await checkKill(database.pool, lb, cluster, victim, {
      key: p.main.loadKey,
      keyId: p.main.loadKeyId,
      clients: size.killClients,
      beforeKillMs: size.beforeKillMs,
      afterKillMs: size.afterKillMs,
    });
    engine.chunkDelayMs = 0;
    stage('kill');
    log('6/6 books: trial balance and projections:verify');
    const books = await checkBooks(database.pool, database.db, {
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      PATH: process.env.PATH ?? '',
    });
    stage('books');
    const crashes = [cluster.worker, ...cluster.apis]
      .filter((i) => i.crashed !== null)
      .map((i) => ({ instance: i.name, how: i.crashed as string, lastOutput: i.output().slice(-3_000) }));
    return { size, startupMs, stageMs, overspend, revocation, rateLimit, tunnel, kill, books, crashes };
  } finally {
    await agent?.stop();
    await lb?.close();
    await cluster?.stop();
    await engine.close();
    await tunnelEngine.close();
    await clientAgent.close().catch(() => undefined);
    await deleteTestKeys(`${prefix}*`);
    await database.drop();
  }
}
