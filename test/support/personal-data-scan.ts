import Redis from 'ioredis';
import { Pool } from 'pg';
import { EventStore, RecordedEvent } from '../../src/platform/event-store/event-store.port';
import { redisValues } from './privacy-scan';
import { primaries } from '../../src/platform/redis/redis-client';

/**
 * Everything stored, as text, for the privacy policy tests: every event's data and metadata (read
 * through the event store port, all of $all), every column of every table in every schema of the
 * database (cast to text), every Redis key and value. Small test databases: held in memory.
 */
export interface StoredText {
  /** "where" → text */
  items: { where: string; text: string }[];
}

export async function collectStoredText(store: EventStore, pool: Pool, redis: Redis): Promise<StoredText> {
  const items: StoredText['items'] = [];
  let after: RecordedEvent['position'] | undefined;
  for (;;) {
    const page = await store.readAll({ maxCount: 1_000, ...(after ? { after } : {}) });
    for (const e of page) items.push({ where: `event ${e.stream}@${e.revision} ${e.type}`, text: `${e.stream} ${e.type} ${JSON.stringify(e.data)} ${JSON.stringify(e.metadata)}` });
    if (page.length < 1_000) break;
    after = page[page.length - 1].position;
  }
  const columns = await pool.query<{ table_schema: string; table_name: string; column_name: string }>(
    `SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema') AND t.table_type = 'BASE TABLE'`,
  );
  if (columns.rows.length < 50) throw new Error('the database scan found too few columns to be real');
  for (const { table_schema, table_name, column_name } of columns.rows) {
    const { rows } = await pool.query(`SELECT "${column_name}"::text AS v FROM "${table_schema}"."${table_name}" WHERE "${column_name}" IS NOT NULL`);
    for (const r of rows) items.push({ where: `table ${table_schema}.${table_name}.${column_name}`, text: String(r.v) });
  }
  for (const node of await primaries(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'COUNT', 1000);
      cursor = next;
      // Every key of the shared Redis (other suites' too; each primary of a cluster), read a page at a time in two pipelines:
      // one round trip a key made this scan take minutes once the server held tens of thousands.
      const values = await redisValues(node, keys);
      keys.forEach((key, i) => items.push({ where: `redis ${key}`, text: `${key}\n${values[i]}` }));
    } while (cursor !== '0');
  }
  return { items };
}

/** Where any of the needles appears in clear (case-insensitive). */
export function clearTextHits(stored: StoredText, needles: Record<string, string>): string[] {
  const hits: string[] = [];
  for (const { where, text } of stored.items) {
    const lower = text.toLowerCase();
    for (const [what, needle] of Object.entries(needles)) if (lower.includes(needle.toLowerCase())) hits.push(`${what} in ${where}`);
  }
  return hits;
}

/** Every sealed value (`pd1.…`) anywhere in what is stored. */
export function sealedTokens(stored: StoredText): string[] {
  const out = new Set<string>();
  for (const { text } of stored.items) for (const m of text.matchAll(/pd1\.[A-Za-z0-9_-]+/g)) out.add(m[0]);
  return [...out];
}
