import type { ServerResponse } from 'node:http';
import { DomainError, DomainErrorKind } from '../errors/domain-error';
import { STATUS_BY_KIND } from '../errors/error-status';

/**
 * Errors on /v1 in OpenAI's shape, `{ "error": { message, type, param, code } }`, which the
 * OpenAI SDKs parse (they pick the exception class by HTTP status and expose `code`).
 * Framework-free, so the raw node:http inference handler and the Nest guard share it.
 * Each error's body is serialised once; answering one allocates nothing.
 */
export type OpenAiErrorType = 'invalid_request_error' | 'insufficient_quota' | 'request_forbidden' | 'rate_limit_error' | 'server_error';

export interface OpenAiErrorBody {
  error: { message: string; type: OpenAiErrorType; param: string | null; code: string | null };
}

export class OpenAiError extends Error {
  readonly body: Buffer;

  constructor(
    readonly status: number,
    message: string,
    readonly type: OpenAiErrorType,
    readonly code: string | null,
    readonly param: string | null = null,
    /** Sent as Retry-After when set. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'OpenAiError';
    const body: OpenAiErrorBody = { error: { message, type, param, code } };
    this.body = Buffer.from(JSON.stringify(body));
  }
}

/** Writes the error and ends the response (works for Express responses too). */
export function sendOpenAiError(res: ServerResponse, error: OpenAiError): void {
  res.statusCode = error.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', error.body.length);
  if (error.retryAfterSeconds !== null) res.setHeader('retry-after', String(error.retryAfterSeconds));
  res.end(error.body);
}

const TYPE_BY_KIND: Record<DomainErrorKind, OpenAiErrorType> = {
  invalid: 'invalid_request_error',
  unauthorized: 'invalid_request_error',
  payment_required: 'insufficient_quota',
  forbidden: 'request_forbidden',
  not_found: 'invalid_request_error',
  conflict: 'invalid_request_error',
  rate_limited: 'rate_limit_error',
  unavailable: 'server_error',
};

const TYPE_BY_STATUS: Readonly<Record<number, OpenAiErrorType>> = { 402: 'insufficient_quota', 403: 'request_forbidden', 429: 'rate_limit_error' };

/** Any error, already mapped to a status and code (the problem-details filter's mapping), in OpenAI's shape. */
export function openAiErrorOf(mapped: { status: number; code: string; detail: string }): OpenAiError {
  return new OpenAiError(mapped.status, mapped.detail, mapped.status >= 500 ? 'server_error' : (TYPE_BY_STATUS[mapped.status] ?? 'invalid_request_error'), mapped.code);
}

/**
 * A domain refusal in OpenAI's shape, same status as everywhere else. Running out of credits is
 * 402 with code `insufficient_quota`, the code OpenAI's SDKs and clients already recognise.
 */
export function openAiErrorFrom(error: DomainError): OpenAiError {
  const code = error.kind === 'payment_required' ? 'insufficient_quota' : error.code;
  return new OpenAiError(STATUS_BY_KIND[error.kind], error.message, TYPE_BY_KIND[error.kind], code, null, error.retryAfterSeconds ?? null);
}
