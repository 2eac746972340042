import { Kysely } from 'kysely';
import { Database } from '../../platform/database/schema';

export interface OfflineNode {
  nodeId: string;
  name: string;
  providerId: string;
  offlineSince: Date;
}

/** At most this many outages are looked at per call; the rest wait for the next one. */
export const OFFLINE_NODES_PAGE = 500;

/**
 * Approved nodes recorded offline (by the liveness sweep's events) since a time within
 * [from, to): the nodes read model's own reader for outage alerts, so other modules do not query
 * its table.
 */
export async function nodesOfflineSince(db: Kysely<Database>, from: Date, to: Date): Promise<OfflineNode[]> {
  const rows = await db
    .selectFrom('nodes')
    .select(['node_id', 'name', 'provider_id', 'online_changed_at'])
    .where('status', '=', 'approved')
    .where('online', '=', false)
    .where('online_changed_at', '>=', from)
    .where('online_changed_at', '<', to)
    .orderBy('online_changed_at')
    .limit(OFFLINE_NODES_PAGE)
    .execute();
  return rows.map((r) => ({ nodeId: r.node_id, name: r.name, providerId: r.provider_id, offlineSince: r.online_changed_at as Date }));
}
