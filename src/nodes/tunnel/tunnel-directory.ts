import Redis from 'ioredis';

/**
 *   tollgate:node:tunnel:{id}   JSON {instanceId, relayUrl}: the instance holding the node's tunnel,
 *                               PX = TUNNEL_HOLDER_TTL_MS, refreshed while connected; an instance
 *                               that dies stops refreshing and the entry expires by itself.
 */
const HOLDER = 'tollgate:node:tunnel:';
/** How long an instance trusts its last answer (a tunnel that moves is found within this, or on the relay's 503). */
const CACHE_MS = 1_000;

export interface TunnelHolder {
  instanceId: string;
  relayUrl: string;
}

/** Extends the entry only if it is still ours (or gone): a half-dead old tunnel must not take back a node that reconnected elsewhere. */
const REFRESH = `local v = redis.call('GET', KEYS[1]) if v == false or v == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end return 0`;
/** Deletes the entry only if it is still ours (a tunnel that reconnected elsewhere keeps its new entry). */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class TunnelDirectory {
  private readonly cache = new Map<string, { holder: TunnelHolder | null; atMs: number }>();

  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
  ) {}

  /** A new tunnel: this instance holds the node from now (the newest connection wins). */
  async claim(nodeId: string, holder: TunnelHolder): Promise<void> {
    await this.redis.set(HOLDER + nodeId, JSON.stringify(holder), 'PX', this.ttlMs);
  }

  /** false = another instance holds the node now (its agent reconnected there). */
  async refresh(nodeId: string, holder: TunnelHolder): Promise<boolean> {
    return (await this.redis.eval(REFRESH, 1, HOLDER + nodeId, JSON.stringify(holder), String(this.ttlMs))) !== 0;
  }

  async release(nodeId: string, holder: TunnelHolder): Promise<void> {
    await this.redis.eval(RELEASE, 1, HOLDER + nodeId, JSON.stringify(holder));
  }

  /** Who holds the node's tunnel, if anyone (at most one Redis read per node per second per instance). */
  async holder(nodeId: string): Promise<TunnelHolder | null> {
    const cached = this.cache.get(nodeId);
    if (cached && Date.now() - cached.atMs < CACHE_MS) return cached.holder;
    const raw = await this.redis.get(HOLDER + nodeId);
    let holder: TunnelHolder | null = null;
    try {
      const parsed = raw === null ? null : (JSON.parse(raw) as Partial<TunnelHolder>);
      if (typeof parsed?.instanceId === 'string' && typeof parsed.relayUrl === 'string') holder = { instanceId: parsed.instanceId, relayUrl: parsed.relayUrl };
    } catch {
      holder = null;
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(nodeId, { holder, atMs: Date.now() });
    return holder;
  }

  /** The holder did not have it after all (moved, or the instance died): ask Redis next time. */
  forget(nodeId: string): void {
    this.cache.delete(nodeId);
  }
}
