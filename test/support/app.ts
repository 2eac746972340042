import { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ProcessRole } from '../../src/app.module';
import { createApp } from '../../src/bootstrap';
import { AppConfig, loadConfig, MailConfig, NodesConfig, SecurityConfig } from '../../src/platform/config/config';
import { TEST_REDIS_URL } from './database';
import { sharedSmtpSink } from './smtp-sink';
import { deleteTestKeys } from './redis';
import { bullPrefix } from '../../src/platform/jobs/queues';

/** Loopback, where the test and demo nodes run; production keeps NODE_ALLOWED_CIDRS empty. */
export const TEST_NODE_CIDRS = '127.0.0.0/8,::1/128';

/** Any config field; `nodes`, `security` and `mail` may be given in part. */
export type TestConfigOverrides = Partial<Omit<AppConfig, 'nodes' | 'security' | 'mail'>> & {
  nodes?: Partial<NodesConfig>;
  security?: Partial<SecurityConfig>;
  mail?: Partial<MailConfig>;
};

/** A real application (real PostgreSQL, Redis, event store) on a random port. */
export async function startTestApp(
  databaseUrl: string,
  overrides: TestConfigOverrides = {},
  role: ProcessRole = 'all',
): Promise<{ app: INestApplication; url: string; config: AppConfig }> {
  // No probe rounds unless a suite turns them on: they would add requests to every engine stand-in.
  const base = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    EVENTSTORE_POLL_INTERVAL_MS: '20',
    // Test nodes (engine stand-ins behind real agents) listen on loopback: allowed explicitly, as an operator would.
    NODE_ALLOWED_CIDRS: TEST_NODE_CIDRS,
    // Suites run in parallel: each app's internal metrics listener on a free port.
    METRICS_PORT: '0',
    TUNNEL_RELAY_PORT: '0',
    PROBE_INTERVAL_MS: '0',
  });
  const config: AppConfig = {
    ...base,
    port: 0,
    host: '127.0.0.1',
    // Suites run in parallel against one Redis: each database gets its own key space.
    redisKeyPrefix: `tg:${new URL(databaseUrl).pathname.slice(1)}:`,
    ...overrides,
    // Each app its own BullMQ queues (suites share Redis and run in parallel), removed when it closes.
    nodes: { ...base.nodes, queuePrefix: `tg-test:${randomUUID().slice(0, 8)}`, ...overrides.nodes },
    security: { ...base.security, ...overrides.security },
    // Mails go over SMTP to a real server on loopback (test/support/smtp-sink.ts), shared by the suite's apps.
    mail: { ...base.mail, smtpUrl: (await sharedSmtpSink()).url, jobBackoffMs: 100, ...overrides.mail },
  };
  const app = await createApp(config, role);
  await app.listen(config.port, '127.0.0.1'); // 0 (a random port) unless the test needs a known one
  const close = app.close.bind(app);
  app.close = async () => {
    await close();
    if (!overrides.nodes?.queuePrefix && (role === 'all' || role === 'worker')) await deleteTestKeys(`${bullPrefix(config, config.nodes.queuePrefix)}:*`);
  };
  return { app, url: await app.getUrl(), config };
}
