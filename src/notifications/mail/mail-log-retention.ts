import { Kysely } from 'kysely';
import { Database } from '../../platform/database/schema';

/**
 * The mail log's retention (issue 16, item 5): rows finished before `before` are removed. Safe
 * for deduplication: what may cause a mail again is newer than any retention window (the notice
 * reactor only moves forward from its checkpoint; outages are looked at for a day).
 */
export async function pruneMailLog(db: Kysely<Database>, before: Date): Promise<number> {
  const result = await db.deleteFrom('mail_log').where('finished_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
