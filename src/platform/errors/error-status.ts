import { DomainErrorKind } from './domain-error';

/** The HTTP status of each kind of refusal, shared by problem details and the /v1 OpenAI shape. */
export const STATUS_BY_KIND: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  payment_required: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
};
