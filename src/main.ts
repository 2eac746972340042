import 'reflect-metadata';
import { ProcessRole } from './app.module';
import { createApp, installShutdown } from './bootstrap';
import { ConfigError, loadConfig } from './platform/config/config';
import { eventStoreKind } from './platform/event-store/create-event-store';
import { createLogger } from './platform/observability/logger';

const ROLES: ProcessRole[] = ['all', 'api', 'worker'];

async function main(): Promise<void> {
  const role = (process.argv[2] ?? 'all') as ProcessRole;
  if (!ROLES.includes(role)) {
    console.error(`usage: node dist/src/main.js [${ROLES.join('|')}] (got "${role}")`);
    process.exit(2);
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, 'tollgate', config.logFile);
  const app = await createApp(config, role);
  installShutdown(app, logger, config.shutdownTimeoutMs);
  await app.listen(config.port, config.host);
  logger.info({ role, port: config.port, eventStore: eventStoreKind(config) }, 'tollgate started');
}

main().catch((err: Error) => {
  console.error(`tollgate failed to start: ${err.name}: ${err.message}`);
  process.exit(1);
});
