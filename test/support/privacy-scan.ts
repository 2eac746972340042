import Redis from 'ioredis';
import { Pool } from 'pg';

/**
 * Searches for data that must not be at rest in clear (policy tests, test/policy/): every row of
 * every table (the whole row as text, so every column type), and every Redis key and value on
 * the test server. Tests should first show the search finds something that is meant to be there.
 */
const REDIS_SCAN_MAX_KEYS = 200_000;

/** `table: n` for each table with rows holding any of `needles`. */
export async function tablesContaining(pool: Pool, needles: string[]): Promise<string[]> {
  const { rows: tables } = await pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  if (!tables.some((t) => t.table_name === 'events')) throw new Error('no events table: wrong database?');
  const patterns = needles.map((n) => `%${n.toLowerCase()}%`);
  const hits: string[] = [];
  for (const { table_name } of tables) {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${table_name}" t WHERE lower(t::text) LIKE ANY ($1::text[])`, [patterns]);
    if (rows[0].n > 0) hits.push(`${table_name}: ${rows[0].n}`);
  }
  return hits;
}

/** Names of Redis keys (the whole test server) whose name or value holds any of `needles`. */
export async function redisContaining(redis: Redis, needles: string[]): Promise<string[]> {
  const lowered = needles.map((n) => n.toLowerCase());
  const holds = (s: string) => lowered.some((n) => s.toLowerCase().includes(n));
  const found: string[] = [];
  let cursor = '0';
  let scanned = 0;
  do {
    const [next, names] = await redis.scan(cursor, 'COUNT', 1_000);
    cursor = next;
    scanned += names.length;
    for (const name of names) if (holds(name) || holds(await redisValue(redis, name))) found.push(name);
  } while (cursor !== '0' && scanned < REDIS_SCAN_MAX_KEYS);
  if (cursor !== '0') throw new Error(`Redis holds more than ${REDIS_SCAN_MAX_KEYS} keys; the scan is incomplete`);
  return found;
}

export async function redisValue(redis: Redis, name: string): Promise<string> {
  switch (await redis.type(name)) {
    case 'string':
      return (await redis.getBuffer(name))?.toString('latin1') ?? '';
    case 'hash':
      return JSON.stringify(await redis.hgetall(name));
    case 'list':
      return JSON.stringify(await redis.lrange(name, 0, -1));
    case 'set':
      return JSON.stringify(await redis.smembers(name));
    case 'zset':
      return JSON.stringify(await redis.zrange(name, '0', '-1'));
    case 'stream':
      return JSON.stringify(await redis.xrange(name, '-', '+'));
    default:
      return ''; // gone meanwhile ('none') or a module type
  }
}
