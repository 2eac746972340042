import Redis from 'ioredis';
import { primaries } from '../../src/platform/redis/redis-client';
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
  // A cluster: every primary's keys, each read on its own connection (a pipeline stays on one node).
  for (const node of await primaries(redis)) {
    let cursor = '0';
    let scanned = 0;
    do {
      const [next, names] = await node.scan(cursor, 'COUNT', 1_000);
      cursor = next;
      scanned += names.length;
      // One round trip per page, not two per key: suites running beside this one leave thousands of keys.
      const values = await redisValues(node, names);
      names.forEach((name, i) => {
        if (holds(name) || holds(values[i])) found.push(name);
      });
    } while (cursor !== '0' && scanned < REDIS_SCAN_MAX_KEYS);
    if (cursor !== '0') throw new Error(`Redis holds more than ${REDIS_SCAN_MAX_KEYS} keys; the scan is incomplete`);
  }
  return found;
}

export async function redisValue(redis: Redis, name: string): Promise<string> {
  return (await redisValues(redis, [name]))[0];
}

/** Each key's value as text, whatever its type ('' when it is gone meanwhile or a module type). */
export async function redisValues(redis: Redis, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const types = (await names.reduce((p, name) => p.type(name), redis.pipeline()).exec()) ?? [];
  const reads = redis.pipeline();
  const read: boolean[] = names.map((name, i) => {
    switch (types[i]?.[1]) {
      case 'string':
        reads.getBuffer(name);
        return true;
      case 'hash':
        reads.hgetall(name);
        return true;
      case 'list':
        reads.lrange(name, 0, -1);
        return true;
      case 'set':
        reads.smembers(name);
        return true;
      case 'zset':
        reads.zrange(name, '0', '-1');
        return true;
      case 'stream':
        reads.xrange(name, '-', '+');
        return true;
      default:
        return false;
    }
  });
  const results = (await reads.exec()) ?? [];
  let next = 0;
  return read.map((r) => {
    if (!r) return '';
    const [, value] = results[next++];
    if (value === null || value === undefined) return '';
    return Buffer.isBuffer(value) ? value.toString('latin1') : JSON.stringify(value);
  });
}
