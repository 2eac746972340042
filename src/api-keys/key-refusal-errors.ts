import { OpenAiError } from '../platform/http/openai-errors';
import type { KeyRefusalCode } from './api-key-authenticator';

const invalidKey = (message: string) => new OpenAiError(401, message, 'invalid_request_error', 'invalid_api_key');

/**
 * Every bad key is 401 `invalid_api_key`, as OpenAI answers, whatever the reason: clients need no
 * other code, and the message tells the key's holder what happened without echoing the key.
 * A good key of a suspended account is 403 `account_suspended` (the caller is known, the account
 * may not use the API). A key check that could not be made is 503: fail closed, retry shortly.
 */
export const KEY_REFUSAL_ERRORS: Readonly<Record<KeyRefusalCode, OpenAiError>> = Object.freeze({
  missing_api_key: invalidKey(
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
  ),
  malformed_api_key: invalidKey('Incorrect API key provided. Tollgate API keys look like tg_live_<12 characters>_<32 characters>.'),
  unknown_api_key: invalidKey('Incorrect API key provided. You can find your API keys in your Tollgate dashboard.'),
  revoked_api_key: invalidKey('This API key has been revoked. Create a new key in your Tollgate dashboard.'),
  expired_api_key: invalidKey('This API key has expired. Create a new key in your Tollgate dashboard.'),
  account_suspended: new OpenAiError(403, 'The account this API key belongs to is suspended.', 'request_forbidden', 'account_suspended'),
  account_restricted: new OpenAiError(
    403,
    'Processing is restricted on the account this API key belongs to. Lift the restriction in your Tollgate dashboard to use the API again.',
    'request_forbidden',
    'account_restricted',
  ),
  key_check_unavailable: new OpenAiError(503, 'The API key could not be checked right now. Please retry shortly.', 'server_error', 'service_unavailable', null, 1),
});
