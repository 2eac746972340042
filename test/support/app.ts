import { INestApplication } from '@nestjs/common';
import { ProcessRole } from '../../src/app.module';
import { createApp } from '../../src/bootstrap';
import { AppConfig, loadConfig } from '../../src/config/config';
import { TEST_REDIS_URL } from './database';

/** A real application (real PostgreSQL, Redis, event store) on a random port. */
export async function startTestApp(
  databaseUrl: string,
  overrides: Partial<AppConfig> = {},
  role: ProcessRole = 'all',
): Promise<{ app: INestApplication; url: string; config: AppConfig }> {
  const config: AppConfig = {
    ...loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, REDIS_URL: TEST_REDIS_URL, EVENTSTORE_POLL_INTERVAL_MS: '20' }),
    port: 0,
    host: '127.0.0.1',
    // Suites run in parallel against one Redis: each database gets its own key space.
    redisKeyPrefix: `tg:${new URL(databaseUrl).pathname.slice(1)}:`,
    ...overrides,
  };
  const app = await createApp(config, role);
  await app.listen(config.port, '127.0.0.1'); // 0 (a random port) unless the test needs a known one
  return { app, url: await app.getUrl(), config };
}
