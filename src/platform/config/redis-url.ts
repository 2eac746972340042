/** Seed nodes of a Redis Cluster, from REDIS_URL (`redis://[user:pass@]host:port,host:port,...`). */
export interface RedisClusterConfig {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/;

/**
 * REDIS_URL is one server (`redis://host:port/db`, any URL ioredis takes) or, with a comma between
 * hosts, the seed nodes of a cluster: `redis://[user:password@]h1:p1,h2:p2[,...]`. A cluster has
 * no database index (only db 0 exists), so a path is refused rather than silently ignored.
 * → null for one server, the cluster's seeds, or an error string that names what is wrong.
 */
export function parseRedisCluster(raw: string): RedisClusterConfig | null | string {
  const match = /^(rediss?):\/\/(?:([^@/]*)@)?([^/@?#]*)(\/[^?#]*)?$/.exec(raw);
  if (!match || !match[3].includes(',')) return null;
  const [, scheme, auth, hosts, path] = match;
  if (path && path !== '/' && path !== '/0') return `REDIS_URL lists cluster nodes, which have no database index (got path "${path}")`;
  const nodes: RedisClusterConfig['nodes'] = [];
  for (const entry of hosts.split(',')) {
    const m = HOST_PORT.exec(entry.trim());
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65_535) return `REDIS_URL cluster node "${entry}" is not host:port (expected redis://host:port,host:port,...)`;
    nodes.push({ host: m[1].replace(/^\[|\]$/g, ''), port });
  }
  const [user, password] = auth === undefined ? [undefined, undefined] : splitAuth(auth);
  return { nodes, tls: scheme === 'rediss', ...(user ? { username: user } : {}), ...(password ? { password } : {}) };
}

function splitAuth(auth: string): [string | undefined, string | undefined] {
  const colon = auth.indexOf(':');
  const decode = (s: string) => (s === '' ? undefined : decodeURIComponent(s));
  return colon < 0 ? [undefined, decode(auth)] : [decode(auth.slice(0, colon)), decode(auth.slice(colon + 1))];
}
