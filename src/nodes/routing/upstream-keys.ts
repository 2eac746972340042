import { Kysely } from 'kysely';
import { Database } from '../../platform/database/schema';
import { openWithKey } from '../../platform/security/sealing';
import { Secrets } from '../../platform/security/secrets';

/**
 * The sealed keys of these upstreams at their current versions, opened; a key that does not open is left out.
 * Read by the routing registry (loadUpstreamNodes), so it lives beside it: upstreams/ seals the keys
 * (UpstreamsService, same key and `{id}.{version}` binding) and already depends on routing, never the reverse.
 */
export async function openUpstreamKeys(db: Kysely<Database>, secrets: Secrets, rows: ReadonlyArray<{ upstream_id: string; key_version: number }>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (rows.length === 0) return out;
  const sealed = await db
    .selectFrom('upstream_credentials')
    .select(['upstream_id', 'key_version', 'sealed_key'])
    .where(
      'upstream_id',
      'in',
      rows.map((r) => r.upstream_id),
    )
    .execute();
  const wanted = new Map(rows.map((r) => [r.upstream_id, r.key_version]));
  const key = secrets.key('upstream-key-seal');
  // The newest sealed version at or above the read model's (a rotation's key is stored before its event).
  const best = new Map<string, { version: number; sealed: string }>();
  for (const s of sealed) {
    if (s.key_version < (wanted.get(s.upstream_id) ?? Infinity)) continue;
    const prev = best.get(s.upstream_id);
    if (!prev || s.key_version > prev.version) best.set(s.upstream_id, { version: s.key_version, sealed: s.sealed_key });
  }
  for (const [id, s] of best) {
    try {
      out.set(id, openWithKey(key, `${id}.${s.version}`, s.sealed));
    } catch {
      // Sealed under another APP_SECRET, or tampered with: the upstream is not routable (the registry logs its id).
    }
  }
  return out;
}
