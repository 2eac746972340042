import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Redis from 'ioredis';
import { Kysely } from 'kysely';
import { once } from 'node:events';
import { Pool } from 'pg';
import { AppModule } from '../app.module';
import { AppConfig, loadConfig } from '../platform/config/config';
import { createDb, createPool } from '../platform/database/database';
import { Database } from '../platform/database/schema';
import { createEventStore } from '../platform/event-store/create-event-store';
import { EventStore } from '../platform/event-store/event-store.port';
import { prepareDatabase } from '../bootstrap';
import { createLogger, Logger, NestPinoLogger } from '../platform/observability/logger';
import { REDIS } from '../platform/redis/redis.module';
import { CliIo, processIo } from './io';

/** What a CLI command gets: the same config, database and event store the server uses. */
export interface CliContext {
  config: AppConfig;
  logger: Logger;
  pool: Pool;
  db: Kysely<Database>;
  store: EventStore;
  /** Migrations applied when the context opened. */
  migrationsApplied: string[];
  /** A line of the command's result on stdout. */
  out(line: string): void;
  /** A line on stderr: errors, and metadata kept off stdout so it stays machine-readable. */
  err(line: string): void;
  /** Progress for long work goes to stderr, so stdout stays machine-readable. */
  progress(message: string): void;
  /**
   * The application's own services (AccountsService, ApiKeysService, …) from a Nest context
   * with the 'cli' role: the same code paths as the HTTP API, without HTTP or the projection
   * runner. Created on first use, so `migrate` and the projection commands need no Redis.
   */
  services(): Promise<INestApplicationContext>;
}

const REDIS_READY_TIMEOUT_MS = 5_000;

/** The app's Redis client fails commands fast (no offline queue) until connected: wait for it once here. */
async function redisReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  const timeout = AbortSignal.timeout(REDIS_READY_TIMEOUT_MS);
  await once(redis, 'ready', { signal: timeout }).catch(() => {
    throw new Error(`Redis is not reachable (waited ${REDIS_READY_TIMEOUT_MS} ms)`);
  });
}

export async function openContext(io: CliIo = processIo): Promise<CliContext & { close(): Promise<void> }> {
  const config = loadConfig(io.env);
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, undefined, null, io === processIo ? undefined : { write: io.stdout });
  const migrationsApplied = await prepareDatabase(config, logger);
  const pool = createPool(config.databaseUrl, 4);
  const db = createDb(pool);
  const store = await createEventStore(config, pool);
  let app: Promise<INestApplicationContext> | null = null;
  return {
    config,
    logger,
    pool,
    db,
    store,
    migrationsApplied,
    out: (line) => io.stdout(`${line}\n`),
    err: (line) => io.stderr(`${line}\n`),
    progress: (message) => io.stderr(`${message}\n`),
    services() {
      app ??= NestFactory.createApplicationContext(AppModule.register(config, 'cli'), {
        logger: new NestPinoLogger(logger.child({ component: 'nest' })),
        abortOnError: false,
      }).then(async (context) => {
        await redisReady(context.get<Redis>(REDIS));
        return context;
      });
      return app;
    },
    async close() {
      if (app)
        await app.then(
          (a) => a.close(),
          () => undefined,
        ); // closes its own pools, Redis and event store
      await store.close();
      await db.destroy();
    },
  };
}
