import { LIMIT_MAX, API_KEY_NAME_MAX } from '../api-keys/api-key.decide';
import { IssueKeyInput } from '../api-keys/api-keys.service';
import { objectBody, optionalObject, optionalInteger, optionalString, requiredString } from '../platform/http/request-body';

const EXPIRES_AT_MAX = 40;

/** `{ name, expiresAt?, limits?: { requestsPerMinute?, tokensPerMinute? } }` → the service's input. */
export function readIssueKeyBody(raw: unknown): IssueKeyInput {
  const body = objectBody(raw, ['name', 'expiresAt', 'limits']);
  const limits = optionalObject(body, 'limits', ['requestsPerMinute', 'tokensPerMinute']);
  return {
    name: requiredString(body, 'name', 1, API_KEY_NAME_MAX),
    expiresAt: optionalString(body, 'expiresAt', 1, EXPIRES_AT_MAX, true) ?? null,
    limits: limits
      ? {
          requestsPerMinute: optionalInteger(limits, 'requestsPerMinute', 1, LIMIT_MAX) ?? null,
          tokensPerMinute: optionalInteger(limits, 'tokensPerMinute', 1, LIMIT_MAX) ?? null,
        }
      : undefined,
  };
}
