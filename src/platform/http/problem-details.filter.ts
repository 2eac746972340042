import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Inject } from '@nestjs/common';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { DomainError } from '../errors/domain-error';
import { STATUS_BY_KIND } from '../errors/error-status';
import { EventStoreArgumentError, EventStoreUnavailableError, StreamNotFoundError, StreamVersionConflictError } from '../event-store/event-store.errors';
import { Logger } from '../observability/logger';
import { LOGGER } from '../observability/tokens';
import { openAiErrorOf, sendOpenAiError } from './openai-errors';

export interface Mapped {
  status: number;
  code: string;
  detail: string;
}

/**
 * The one place errors become HTTP. Outside /v1, errors are RFC 9457 problem details;
 * /v1 (OpenAI shape) gets its own mapping with the inference API. Unknown errors are logged
 * by name and id only and answered with a generic 500 that leaks nothing.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const mapped = mapError(exception);
    if (mapped.status >= 500 || res.headersSent) {
      this.logger.error({ err: { name: (exception as Error)?.name, message: (exception as Error)?.message }, route: req.route?.path }, 'request failed');
    }
    // A response already under way (a CSV export) cannot become an error: cut it, so it is not taken for complete.
    if (res.headersSent) return void res.destroy();
    if (exception instanceof DomainError && exception.retryAfterSeconds) res.setHeader('Retry-After', String(exception.retryAfterSeconds));
    // Under /v1 every answer is OpenAI's shape, also from Nest (a wrong method, an unknown path, a bad query).
    if (isOpenAiPath(req.path)) return sendOpenAiError(res, openAiErrorOf(mapped));
    res.status(mapped.status).type('application/problem+json').json(problem(mapped, req.path));
  }
}

/** RFC 9457 problem details. */
export function problem(mapped: Mapped, instance: string) {
  return { type: `https://tollgate.dev/problems/${mapped.code}`, title: title(mapped.status), status: mapped.status, code: mapped.code, detail: mapped.detail, instance };
}

export const isOpenAiPath = (path: string) => path === '/v1' || path.startsWith('/v1/');

/** An error's HTTP status and code, as the filter answers it (the audit log records the same). */
export function mapError(e: unknown): Mapped {
  if (e instanceof HttpException) {
    const body = e.getResponse();
    const detail = typeof body === 'string' ? body : ((body as { message?: string | string[] }).message ?? e.message);
    return { status: e.getStatus(), code: snake(HttpStatus[e.getStatus()] ?? 'error'), detail: Array.isArray(detail) ? detail.join('; ') : String(detail) };
  }
  if (e instanceof DomainError) return { status: STATUS_BY_KIND[e.kind], code: e.code, detail: e.message };
  if (isClientHttpError(e)) return { status: e.status, code: (e.type ?? snake(HttpStatus[e.status] ?? 'bad_request')).replace(/\./g, '_'), detail: e.message };
  if (e instanceof StreamVersionConflictError) return { status: 409, code: e.code, detail: 'The resource was changed concurrently; reload and retry.' };
  if (e instanceof StreamNotFoundError) return { status: 404, code: e.code, detail: 'Not found.' };
  if (e instanceof EventStoreArgumentError) return { status: 400, code: e.code, detail: e.message };
  if (e instanceof EventStoreUnavailableError) return { status: 503, code: e.code, detail: 'A backing service is unavailable; retry shortly.' };
  return { status: 500, code: 'internal_error', detail: 'Internal error.' };
}

/** Errors from Express's body parser (http-errors): too large, malformed JSON, wrong charset. */
function isClientHttpError(e: unknown): e is { status: number; type?: string; message: string; expose: true } {
  const x = e as { status?: unknown; expose?: unknown };
  return typeof x?.status === 'number' && x.status >= 400 && x.status < 500 && x.expose === true;
}

function snake(s: string): string {
  return s.toLowerCase();
}

/** NOT_FOUND → "Not Found". */
function title(status: number): string {
  const name = HttpStatus[status];
  if (!name) return STATUS_CODES[status] ?? 'Error';
  return name.toLowerCase().replace(/(^|_)([a-z])/g, (_m, sep: string, c: string) => `${sep ? ' ' : ''}${c.toUpperCase()}`);
}
