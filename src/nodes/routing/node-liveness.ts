import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS } from '../../platform/redis/redis.module';
import { EWMA_ALPHA, LiveState } from './router';

/**
 * Everything the gateway instances must agree on about nodes, in Redis (never in events):
 *
 *   tollgate:{nodes}:hb:ID        heartbeat JSON, PX = heartbeat TTL: the key existing = the node is live
 *   tollgate:{nodes}:lastseen:ID  ISO time of the last heartbeat (for views and the sweep), kept 30 days
 *   tollgate:{nodes}:cooldown:ID  present while the node rests after errors (PX = backoff)
 *   tollgate:{nodes}:failures:ID  consecutive failures (reset by a success), for the backoff
 *   tollgate:{nodes}:inflight:ID  ZSET request id → expiry ms: counted in flight across instances;
 *                                 an entry left by a crashed instance expires by itself
 *   tollgate:{nodes}:ewma:ID      latency moving average (ms); expires when unused, so a node that
 *                                 got no traffic for a while is tried again with a neutral score
 *   tollgate:{nodes}:stats:ID     hash served / errors counters for the provider's view (30 days after the last
 *                                 change; the durable record of requests is the usage events)
 *
 * `{nodes}` is one Redis Cluster hash tag for all of them: the router reads every candidate node
 * in one MGET/pipeline, which a cluster serves only from one slot. It is a few small keys per
 * node (hundreds of nodes, not millions), so one primary holds them all easily.
 */
export const NODE_KEY_PREFIX = 'tollgate:{nodes}:';
export const nodeKey = (kind: 'hb' | 'lastseen' | 'cooldown' | 'failures' | 'inflight' | 'ewma' | 'stats', nodeId: string) => `${NODE_KEY_PREFIX}${kind}:${nodeId}`;
export const HEARTBEAT_PREFIX = `${NODE_KEY_PREFIX}hb:`;
const LASTSEEN = `${NODE_KEY_PREFIX}lastseen:`;
const COOLDOWN = `${NODE_KEY_PREFIX}cooldown:`;
const FAILURES = `${NODE_KEY_PREFIX}failures:`;
const INFLIGHT = `${NODE_KEY_PREFIX}inflight:`;
const EWMA = `${NODE_KEY_PREFIX}ewma:`;
const STATS = `${NODE_KEY_PREFIX}stats:`;

/** A request still "in flight" after this long is assumed lost (its instance died). */
export const INFLIGHT_ENTRY_MAX_MS = 15 * 60_000;
const EWMA_TTL_MS = 5 * 60_000;
const KEEP_MS = 30 * 24 * 60 * 60_000;

export interface Heartbeat {
  at: string;
  /** Model ids the engine reported ready. */
  models: string[];
  inFlight: number;
  queueDepth: number;
}

export interface NodeRuntimeView {
  live: boolean;
  lastHeartbeatAt: string | null;
  heartbeat: Heartbeat | null;
  inCooldown: boolean;
  requestsServed: number;
  errors: number;
}

/**
 * A failure. KEYS: inflight, stats, failures, cooldown. ARGV: request id ('' = none), stats life,
 * failure memory, base, max, Retry-After (ms; 0 = none). Returns the rest started, 0 if already resting.
 */
const FAILURE_SCRIPT = `
if ARGV[1] ~= '' then redis.call('ZREM', KEYS[1], ARGV[1]) end
redis.call('HINCRBY', KEYS[2], 'errors', 1)
redis.call('PEXPIRE', KEYS[2], ARGV[2])
local retry = tonumber(ARGV[6])
if redis.call('EXISTS', KEYS[4]) == 1 then
  if retry > 0 and redis.call('PTTL', KEYS[4]) < retry then redis.call('SET', KEYS[4], '1', 'PX', retry) end
  return 0
end
local n = redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
local rest = math.max(math.min(tonumber(ARGV[5]), tonumber(ARGV[4]) * 2 ^ math.min(n - 1, 30)), retry)
redis.call('SET', KEYS[4], '1', 'PX', math.floor(rest))
return math.floor(rest)`;

/**
 * The router's read of candidate nodes. KEYS: heartbeat, cooldown, ewma, inflight of each node in
 * turn (4 per node). ARGV: now (ms). Returns per node: heartbeat JSON or nil, cooldown 0/1, ewma
 * or nil, requests in flight.
 */
const READ_SCRIPT = `
local out = {}
for i = 1, #KEYS, 4 do
  out[#out + 1] = redis.call('GET', KEYS[i])
  out[#out + 1] = redis.call('EXISTS', KEYS[i + 1])
  out[#out + 1] = redis.call('GET', KEYS[i + 2])
  out[#out + 1] = redis.call('ZCOUNT', KEYS[i + 3], ARGV[1], '+inf')
end
return out`;

/** KEYS: inflight. ARGV: request id, its expiry (ms), now (ms), the key's life (ms). */
const ACQUIRE_SCRIPT = `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

/**
 * A success. KEYS: inflight, ewma, failures, stats. ARGV: request id ('' = none), latency sample
 * (ms), EWMA alpha, EWMA life (ms), stats life (ms). The lease back, the latency average moved,
 * the backoff reset and one more served.
 */
const SUCCESS_SCRIPT = `
if ARGV[1] ~= '' then redis.call('ZREM', KEYS[1], ARGV[1]) end
local old = redis.call('GET', KEYS[2])
local v = tonumber(ARGV[2])
if old then v = tonumber(ARGV[3]) * v + (1 - tonumber(ARGV[3])) * tonumber(old) end
redis.call('SET', KEYS[2], tostring(v), 'PX', ARGV[4])
redis.call('DEL', KEYS[3])
redis.call('HINCRBY', KEYS[4], 'served', 1)
redis.call('PEXPIRE', KEYS[4], ARGV[5])
return 1`;

/** The scripts above, sent by SHA (EVALSHA) once Redis has them: no script text per request. */
interface NodeCommands {
  tgNodesRead(numberOfKeys: number, ...args: (string | number)[]): Promise<(string | number | null)[]>;
  tgNodeAcquire(key: string, requestId: string, expiresAt: number, nowMs: number, lifeMs: number): Promise<number>;
  tgNodeSuccess(
    inflight: string,
    ewma: string,
    failures: string,
    stats: string,
    requestId: string,
    sampleMs: number,
    alpha: number,
    ewmaLifeMs: number,
    keepMs: number,
  ): Promise<number>;
  tgNodeFailure(
    inflight: string,
    stats: string,
    failures: string,
    cooldown: string,
    requestId: string,
    keepMs: number,
    memoryMs: number,
    baseMs: number,
    maxMs: number,
    retryAfterMs: number,
  ): Promise<number>;
}

function parseHeartbeat(raw: string | null): Heartbeat | null {
  if (raw === null) return null;
  try {
    const hb = JSON.parse(raw) as Heartbeat;
    return Array.isArray(hb.models) ? hb : null;
  } catch {
    return null;
  }
}

/**
 * Each request's node bookkeeping is three script calls (read, acquire, success): one command
 * each instead of pipelines and MULTIs of 4, 5 and 7 commands, which cost the API process about
 * 190 µs of CPU per request more (docs/benchmarks.md, "Node bookkeeping in three scripts").
 */
@Injectable()
export class NodeLiveness {
  private readonly redis: Redis & NodeCommands;

  constructor(@Inject(REDIS) redis: Redis) {
    if (!('tgNodesRead' in redis)) {
      redis.defineCommand('tgNodesRead', { lua: READ_SCRIPT });
      redis.defineCommand('tgNodeAcquire', { lua: ACQUIRE_SCRIPT, numberOfKeys: 1 });
      redis.defineCommand('tgNodeSuccess', { lua: SUCCESS_SCRIPT, numberOfKeys: 4 });
      redis.defineCommand('tgNodeFailure', { lua: FAILURE_SCRIPT, numberOfKeys: 4 });
    }
    this.redis = redis as Redis & NodeCommands;
  }

  async recordHeartbeat(nodeId: string, heartbeat: Heartbeat, ttlMs: number): Promise<void> {
    await this.redis
      .multi()
      .set(HEARTBEAT_PREFIX + nodeId, JSON.stringify(heartbeat), 'PX', ttlMs)
      .set(LASTSEEN + nodeId, heartbeat.at, 'PX', KEEP_MS)
      .exec();
  }

  /** An upstream whose probe failed: not live from now (a node agent's key just expires). */
  async markDown(nodeId: string): Promise<void> {
    await this.redis.del(HEARTBEAT_PREFIX + nodeId);
  }

  /** One script call for the router: liveness, readiness, cooldown, load and latency of each node. */
  async read(nodeIds: readonly string[], nowMs: number): Promise<Map<string, LiveState>> {
    const states = new Map<string, LiveState>();
    if (nodeIds.length === 0) return states;
    const keys: string[] = [];
    for (const id of nodeIds) keys.push(HEARTBEAT_PREFIX + id, COOLDOWN + id, EWMA + id, INFLIGHT + id);
    const r = await this.redis.tgNodesRead(keys.length, ...keys, nowMs);
    nodeIds.forEach((id, i) => {
      const hb = parseHeartbeat(r[4 * i] as string | null);
      states.set(id, {
        alive: hb !== null,
        readyModels: hb ? hb.models : null,
        inCooldown: r[4 * i + 1] === 1,
        inFlight: Number(r[4 * i + 3]),
        ewmaMs: r[4 * i + 2] === null ? null : Number(r[4 * i + 2]),
      });
    });
    return states;
  }

  /** Which of these nodes have a live heartbeat (and what they last reported). */
  async heartbeats(nodeIds: readonly string[]): Promise<Map<string, Heartbeat>> {
    const out = new Map<string, Heartbeat>();
    if (nodeIds.length === 0) return out;
    const raw = await this.redis.mget(nodeIds.map((id) => HEARTBEAT_PREFIX + id));
    nodeIds.forEach((id, i) => {
      const hb = parseHeartbeat(raw[i]);
      if (hb) out.set(id, hb);
    });
    return out;
  }

  async lastSeen(nodeIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (nodeIds.length === 0) return out;
    const raw = await this.redis.mget(nodeIds.map((id) => LASTSEEN + id));
    nodeIds.forEach((id, i) => raw[i] && out.set(id, raw[i] as string));
    return out;
  }

  /** Counts the request in flight; entries of crashed instances (expired) are dropped meanwhile. */
  async acquire(nodeId: string, requestId: string, nowMs: number): Promise<void> {
    await this.redis.tgNodeAcquire(INFLIGHT + nodeId, requestId, nowMs + INFLIGHT_ENTRY_MAX_MS, nowMs, INFLIGHT_ENTRY_MAX_MS);
  }

  async release(nodeId: string, requestId: string): Promise<void> {
    await this.redis.zrem(INFLIGHT + nodeId, requestId);
  }

  /** A success: latency sample, backoff reset, one more served. */
  async recordSuccess(nodeId: string, requestId: string | null, sampleMs: number): Promise<void> {
    await this.redis.tgNodeSuccess(INFLIGHT + nodeId, EWMA + nodeId, FAILURES + nodeId, STATS + nodeId, requestId ?? '', Math.max(0, sampleMs), EWMA_ALPHA, EWMA_TTL_MS, KEEP_MS);
  }

  /**
   * A failure, and the node's rest after it, in one step: the rest doubles with each consecutive
   * failure (base, 2 × base, … capped at max; a Retry-After may lengthen it), and failures while
   * the node already rests do not count — the requests in flight when one incident struck (a tunnel
   * dropped under twelve streams) fail together and are one failure, not twelve doublings.
   * Answers the rest started (ms), 0 when the node was already resting.
   */
  async recordFailure(nodeId: string, requestId: string | null, backoff: { baseMs: number; maxMs: number; memoryMs: number; retryAfterMs: number | null }): Promise<number> {
    const rest = await this.redis.tgNodeFailure(
      INFLIGHT + nodeId,
      STATS + nodeId,
      FAILURES + nodeId,
      COOLDOWN + nodeId,
      requestId ?? '',
      KEEP_MS,
      backoff.memoryMs,
      backoff.baseMs,
      backoff.maxMs,
      backoff.retryAfterMs ?? 0,
    );
    return Number(rest);
  }

  async startCooldown(nodeId: string, ms: number): Promise<void> {
    if (ms > 0) await this.redis.set(COOLDOWN + nodeId, '1', 'PX', ms);
  }

  async runtime(nodeIds: readonly string[]): Promise<Map<string, NodeRuntimeView>> {
    const out = new Map<string, NodeRuntimeView>();
    if (nodeIds.length === 0) return out;
    const p = this.redis.pipeline();
    p.mget(nodeIds.map((id) => HEARTBEAT_PREFIX + id));
    p.mget(nodeIds.map((id) => COOLDOWN + id));
    p.mget(nodeIds.map((id) => LASTSEEN + id));
    for (const id of nodeIds) p.hmget(STATS + id, 'served', 'errors');
    const r = await p.exec();
    if (!r) throw new Error('redis pipeline returned nothing');
    for (const [err] of r) if (err) throw err;
    const [hbs, cds, seen] = r.slice(0, 3).map(([, v]) => v as (string | null)[]);
    nodeIds.forEach((id, i) => {
      const hb = parseHeartbeat(hbs[i]);
      const [served, errors] = r[3 + i][1] as (string | null)[];
      out.set(id, { live: hb !== null, lastHeartbeatAt: seen[i], heartbeat: hb, inCooldown: cds[i] !== null, requestsServed: Number(served ?? 0), errors: Number(errors ?? 0) });
    });
    return out;
  }
}
