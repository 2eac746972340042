import { Pool, PoolClient } from 'pg';

/** Held by whichever process applies events to the live read models (the runner, or a rebuild). */
const LEADER_LOCK_KEY = 'tollgate.projection-runner';

/** A session-level advisory lock on a dedicated connection; releasing destroys the connection, and the lock with it. */
export async function tryLeaderLock(pool: Pool, key: string = LEADER_LOCK_KEY): Promise<PoolClient | null> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [key]);
    if (rows[0].ok) return client;
    client.release();
    return null;
  } catch (err) {
    client.release(err as Error);
    throw err;
  }
}
