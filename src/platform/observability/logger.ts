import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { LogLevel } from '../config/config';

export type { Logger };

/**
 * Structured JSON logs. Request and event bodies are never logged: log lines carry ids and
 * metadata only, and these paths are redacted as a second line of defence.
 */
export function createLogger(level: LogLevel, name = 'tollgate', file: string | null = null, stdout?: pino.DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'body', 'data', 'messages', 'prompt'], censor: '[redacted]' },
    },
    // stdout (or the stream given in its place: the CLI run in-process by a test) unless LOG_FILE is set; a file is appended synchronously, so no line is lost on exit.
    file ? pino.destination({ dest: file, sync: true, append: true }) : stdout,
  );
}

/** Routes Nest's own log calls into pino. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
