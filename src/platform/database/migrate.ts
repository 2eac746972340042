import { Kysely, Migrator } from 'kysely';
import { migrations } from '../../../migrations';
import { Database } from './schema';

export interface MigrationReport {
  applied: string[];
}

/** Applies pending migrations; concurrent boots are serialised by kysely's migration lock. */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationReport> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
