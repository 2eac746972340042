import { invalid } from '../errors/domain-error';

/**
 * Small, explicit readers for JSON request bodies outside /v1. Each field states its type and
 * length limit; unknown fields are refused so a typo ("displayname") is not silently ignored.
 * Failures are DomainErrors ('invalid' → 400 problem details). Values are never echoed back:
 * a body may carry a password.
 */
export type JsonBody = Record<string, unknown>;

export function objectBody(body: unknown, allowed: readonly string[]): JsonBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('invalid_body', 'The body must be a JSON object.');
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw invalid('invalid_body', `Unknown field(s): ${unknown.slice(0, 5).map(safeName).join(', ')}.`);
  return body as JsonBody;
}

export function requiredString(body: JsonBody, field: string, min: number, max: number): string {
  const value = body[field];
  if (typeof value !== 'string' || value.length < min || value.length > max) throw invalid('invalid_body', `${field} must be a string of ${min}..${max} characters.`);
  return value;
}

/** undefined = not sent (leave as is); null = sent as null (clear it). */
export function optionalString(body: JsonBody, field: string, min: number, max: number, nullable = false): string | null | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (value === null && nullable) return null;
  return requiredString(body, field, min, max);
}

export function optionalInteger(body: JsonBody, field: string, min: number, max: number): number | null | undefined {
  const value = body[field];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalid('invalid_body', `${field} must be an integer in ${min}..${max}.`);
  return value;
}

export function optionalObject(body: JsonBody, field: string, allowed: readonly string[]): JsonBody | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  try {
    return objectBody(value, allowed);
  } catch {
    throw invalid('invalid_body', `${field} must be an object with only: ${allowed.join(', ')}.`);
  }
}

/** Field names come from the client: show them only when they look like names. */
function safeName(name: string): string {
  return /^[A-Za-z0-9_]{1,40}$/.test(name) ? name : '(unprintable)';
}
