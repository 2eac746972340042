import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { LOGGER, METRICS } from './tokens';
import { Logger } from './logger';
import { Metrics } from './metrics';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * One log line and one histogram sample per request: method, route template, status, duration
 * and a request id. Never the body, the query string or headers that may carry secrets.
 */
@Injectable()
export class RequestLoggingMiddleware implements NestMiddleware {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    const incoming = req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      this.metrics.httpDuration.labels(req.method, route, String(res.statusCode)).observe(seconds);
      this.logger.info({ requestId, method: req.method, route, status: res.statusCode, durationMs: Math.round(seconds * 1e4) / 10 }, 'request');
    });
    next();
  }
}
