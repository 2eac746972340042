/**
 * CPU time used by the local PostgreSQL server (all processes named "postgres"), read from
 * /proc. Only meaningful when the server runs on this machine; null elsewhere. Server-wide:
 * other clients' queries count too.
 */
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

export type CpuSnapshot = Map<number, number>;

/** Ticks (user+system) per postgres process, or null when /proc is not available. */
export function postgresCpuSnapshot(): CpuSnapshot | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  const snapshot: CpuSnapshot = new Map();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      if (comm !== 'postgres') continue;
      const fields = stat.slice(close + 2).split(' ');
      // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
      snapshot.set(Number(pid), Number(fields[11]) + Number(fields[12]));
    } catch {
      // the process ended meanwhile
    }
  }
  return snapshot.size > 0 ? snapshot : null;
}

/** PostgreSQL CPU seconds between two snapshots (processes that ended meanwhile are not counted). */
export function postgresCpuSeconds(before: CpuSnapshot | null, after: CpuSnapshot | null): number | undefined {
  if (!before || !after) return undefined;
  let ticks = 0;
  for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU ticks of this database's own backends (on a machine other sessions share, the server-wide
 * figure counts their work too). The bench's database is its own, so every backend on it is ours.
 */
export async function ownBackendsCpuSnapshot(pool: { query: (text: string) => Promise<{ rows: { pid: number }[] }> }): Promise<CpuSnapshot | null> {
  const { rows } = await pool.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
  const all = postgresCpuSnapshot();
  if (!all) return null;
  const own: CpuSnapshot = new Map();
  for (const { pid } of rows) if (all.has(pid)) own.set(pid, all.get(pid) as number);
  return own;
}
