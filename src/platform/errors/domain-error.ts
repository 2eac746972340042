/**
 * A refused command or request, with a stable code for clients. The kind decides the HTTP status
 * in the one exception filter; domain code never mentions HTTP.
 */
export type DomainErrorKind = 'invalid' | 'unauthorized' | 'payment_required' | 'forbidden' | 'not_found' | 'conflict' | 'rate_limited' | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    /** Seconds until a retry may succeed (rate limits). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (code: string, message: string) => new DomainError('invalid', code, message);
export const notFound = (code: string, message: string) => new DomainError('not_found', code, message);
export const conflict = (code: string, message: string) => new DomainError('conflict', code, message);
export const forbidden = (code: string, message: string) => new DomainError('forbidden', code, message);
export const unauthorized = (code: string, message: string) => new DomainError('unauthorized', code, message);
export const paymentRequired = (code: string, message: string) => new DomainError('payment_required', code, message);
/** Nothing can serve the request right now (a backing service is down, no GPU node has capacity): 503, retry shortly. */
export const unavailable = (code: string, message: string, retryAfterSeconds = 1) => new DomainError('unavailable', code, message, retryAfterSeconds);
