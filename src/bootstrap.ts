import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { openApiDocument } from './openapi/document';
import { raw, urlencoded } from 'express';
import { UNSUBSCRIBE_PATH } from './notifications/preferences/unsubscribe-token';
import { AppModule, ProcessRole } from './app.module';
import { AppConfig } from './platform/config/config';
import { createDb, createPool, ensureDatabase } from './platform/database/database';
import { migrateToLatest } from './platform/database/migrate';
import { LIFECYCLE, Lifecycle } from './platform/health/lifecycle';
import { attachGateway } from './inference/gateway/attach';
import { InferenceGateway } from './inference/gateway/inference-gateway';
import { TunnelHub } from './nodes/tunnel/tunnel-hub';
import { createLogger, Logger, NestPinoLogger } from './platform/observability/logger';
import { MetricsListener } from './platform/observability/metrics-listener';
import { hsts } from './platform/security/hsts';
import { answerClientErrors } from './platform/http/client-errors';
import { requestTextGuard } from './platform/http/request-text';
import { WEBHOOK_BODY_LIMIT, WEBHOOK_PATH } from './payments/webhooks/razorpay-webhook.controller';
import { COINBASE_WEBHOOK_PATH } from './payments/crypto/coinbase-webhook.controller';
import { EMAIL_CHANGE_CONFIRM_PATH } from './auth/email-proof/email-change-proof';
import { SIGN_UP_CONFIRM_PATH } from './auth/email-proof/sign-up-proof';
import { serveConsole } from './console/console.static';
import { sameOriginWrites } from './auth/same-origin-writes';

const JSON_BODY_LIMIT = '1mb';

/** Creates the database if missing and applies pending migrations (safe to run from several processes). */
export async function prepareDatabase(config: AppConfig, logger: Logger): Promise<string[]> {
  await ensureDatabase(config.databaseUrl);
  const db = createDb(createPool(config.databaseUrl, 1));
  try {
    const { applied } = await migrateToLatest(db);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    return applied;
  } finally {
    await db.destroy();
  }
}

/** Builds the Nest application for a role; used by main.ts and by the end-to-end tests. */
export async function createApp(config: AppConfig, role: ProcessRole): Promise<INestApplication> {
  const logger = createLogger(config.logLevel, 'tollgate', config.logFile);
  await prepareDatabase(config, logger);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config, role), {
    logger: new NestPinoLogger(logger.child({ component: 'nest' })),
    bodyParser: false,
    // Throw instead of process.exit: main.ts reports boot errors, tests inspect them.
    abortOnError: false,
  });
  app.disable('x-powered-by');
  // The client IP (per-IP sign-in limits, sign-in records) is taken from X-Forwarded-For only through trusted proxies.
  app.set('trust proxy', config.trustProxy);
  // Data in transit (P20): browsers that reached us over TLS keep to TLS.
  if (config.hstsMaxAgeSeconds > 0) app.use(hsts(config.hstsMaxAgeSeconds));
  // CSRF: cookie-authenticated writes only from our own pages (see same-origin-writes.ts).
  app.use(sameOriginWrites(config.appUrl));
  // The web console (web/, built to web/dist) on the same origin, under /console/.
  serveConsole(app, config, logger);
  // Webhook signatures cover the exact bytes: that route keeps its body raw (a Buffer); the JSON parser then skips it.
  app.use(WEBHOOK_PATH, raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }));
  app.use(COINBASE_WEBHOOK_PATH, raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }));
  // The pages of mailed links (sign-up, email change) post a plain HTML form (no script): the only routes that read a form.
  for (const path of [SIGN_UP_CONFIRM_PATH, EMAIL_CHANGE_CONFIRM_PATH]) app.use(path, urlencoded({ extended: false, limit: '4kb', parameterLimit: 2 }));
  // So does the one-click unsubscribe (RFC 8058: the body List-Unsubscribe=One-Click).
  app.use(UNSUBSCRIBE_PATH, urlencoded({ extended: false, limit: '1kb', parameterLimit: 2 }));
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT });
  // NUL, lone surrogates and deep nesting are refused here, for every body and query string.
  app.use(requestTextGuard(config.requests.jsonMaxDepth));
  // The /v1 inference routes run on the raw server, ahead of Express and Nest (see attachGateway).
  if (role === 'all' || role === 'api') {
    attachGateway(app.getHttpServer(), app.get(InferenceGateway));
    // Node agents behind NAT dial in here (GET /nodes/tunnel, Upgrade); other instances relay to its internal listener.
    await app.get(TunnelHub).start(app.getHttpServer());
  }
  answerClientErrors(app.getHttpServer());
  const document = openApiDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  // /metrics only on the internal listener (docs/security.md, API8).
  await app.get(MetricsListener).start(config.security.metrics.host, config.security.metrics.port);
  return app;
}

/**
 * Graceful shutdown: readiness fails first (draining), then Nest stops the workers, closes the
 * HTTP server (in-flight requests finish), and only then closes the pools. A hard deadline
 * makes sure a stuck dependency cannot keep the process alive forever.
 */
export function installShutdown(app: INestApplication, logger: Logger, timeoutMs: number): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    app.get<Lifecycle>(LIFECYCLE).draining = true;
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    app.close().then(
      () => {
        logger.info('shutdown complete');
        process.exit(0);
      },
      (err: Error) => {
        logger.error({ err: { name: err.name, message: err.message } }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
