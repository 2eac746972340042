import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../platform/config/config';
import { Logger } from '../platform/observability/logger';
import { consoleCsp } from './console.csp';

/** Where the console is served: same origin as the API, so the HttpOnly session cookie is its only credential. */
export const CONSOLE_PATH = '/console';

/**
 * web/dist (built by `npm run build:web`), found from src/console (ts-node, jest) or from
 * dist/src/console (the compiled app): the two depths differ by one folder.
 */
export function consoleDir(): string | null {
  for (const dir of [join(__dirname, '..', '..', 'web', 'dist'), join(__dirname, '..', '..', '..', 'web', 'dist')]) {
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return null;
}

/** What the page needs to know before anyone signs in: which sign-in buttons to show, where Checkout is. Public facts only. */
export function consoleSettings(config: AppConfig) {
  return {
    google: config.google !== null,
    // Telegram's redirect flow needs the bot id: the public part of the bot token, before the colon.
    telegramBotId: config.telegramBotToken ? config.telegramBotToken.split(':')[0] : null,
    payments: config.payments !== null,
    // Razorpay Checkout's script (a setting, so tests load a local stand-in); null when payments are off.
    checkoutScriptUrl: config.payments?.checkoutUrl ?? null,
  };
}

/**
 * Serves the built single-page app under /console/: hashed assets cached for a year, every
 * other path answered with index.html (client-side routes), all with the console's CSP.
 * A missing build is logged, not fatal: an API-only deployment has no console.
 */
export function serveConsole(app: NestExpressApplication, config: AppConfig, logger: Logger): void {
  const dir = consoleDir();
  const csp = consoleCsp(config.payments?.checkoutUrl ?? null);
  const settings = JSON.stringify(consoleSettings(config));
  app.use(CONSOLE_PATH, (req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    next();
  });
  app.use(`${CONSOLE_PATH}/settings.json`, (req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    res.type('json').send(settings);
  });
  if (!dir) {
    logger.warn('web console not built (npm run build:web): /console answers 404');
    return;
  }
  app.use(`${CONSOLE_PATH}/assets`, express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false }));
  app.use(CONSOLE_PATH, express.static(dir, { index: false, maxAge: 0 }));
  app.use(CONSOLE_PATH, (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    res.setHeader('Cache-Control', 'no-cache'); // a new deploy's index.html names new asset hashes
    res.sendFile(join(dir, 'index.html'));
  });
}
