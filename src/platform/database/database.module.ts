import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Kysely } from 'kysely';
import { Pool } from 'pg';
import { APP_CONFIG, AppConfig } from '../config/config';
import { createDb, createPool } from './database';
import { Database } from './schema';

export const PG_POOL = Symbol('PgPool');
export const KYSELY = Symbol('Kysely');

@Global()
@Module({
  providers: [
    { provide: PG_POOL, inject: [APP_CONFIG], useFactory: (c: AppConfig) => createPool(c.databaseUrl, c.databasePoolMax) },
    { provide: KYSELY, inject: [PG_POOL], useFactory: (pool: Pool) => createDb(pool) },
  ],
  exports: [PG_POOL, KYSELY],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(KYSELY) private readonly db: Kysely<Database>) {}

  /** After the HTTP server has drained: in-flight requests still had their connections. */
  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}
