import { flagUsage, UsageError } from '../cli/flags';
import { createLogger } from '../platform/observability/logger';
import { AGENT_FLAGS, readAgentConfig } from './agent-config';
import { NodeAgent } from './node-agent';

/**
 * `npm run node-agent -- --gateway https://… --engine http://127.0.0.1:8000 [--listen 0.0.0.0:8080 | --tunnel]`
 * with the node token in TOLLGATE_NODE_TOKEN (or --token-file). Exit codes: 2 usage, 1 failure.
 */
async function main(argv: string[]): Promise<void> {
  let config;
  try {
    config = readAgentConfig(argv, process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`error: ${err.message}\nusage: npm run node-agent -- ${flagUsage(AGENT_FLAGS)}`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel, 'tollgate-node-agent');
  const agent = new NodeAgent({ ...config, logger });
  await agent.start();
  const stop = (signal: string) => {
    logger.info({ signal }, 'node agent stopping');
    agent.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main(process.argv.slice(2)).catch((err: Error) => {
  console.error(`node agent failed: ${err.name}: ${err.message}`);
  process.exit(1);
});
