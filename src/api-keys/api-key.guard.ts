import { applyDecorators, ArgumentsHost, CanActivate, Catch, createParamDecorator, ExceptionFilter, ExecutionContext, Injectable, UseFilters, UseGuards } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OpenAiError, sendOpenAiError } from '../platform/http/openai-errors';
import { KEY_REFUSAL_ERRORS } from './key-refusal-errors';
import { ApiKeyAuthenticator, AuthenticatedKey, KeyCheck, KeyRefusal } from './api-key-authenticator';

const AUTHENTICATED_KEY = Symbol('authenticatedKey');
type KeyedRequest = IncomingMessage & { [AUTHENTICATED_KEY]?: AuthenticatedKey };

/**
 * /v1 API-key guard. A refusal is thrown as a prebuilt OpenAiError (no allocation, no stack
 * capture) and written by `OpenAiErrorFilter`, which `RequireApiKey()` binds next to the guard:
 * the global problem-details filter never sees /v1 key errors.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly authenticator: ApiKeyAuthenticator) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const req = context.switchToHttp().getRequest<KeyedRequest>();
    const checked = this.authenticator.authenticate(req.headers.authorization);
    return checked instanceof Promise ? checked.then((c) => admit(req, c)) : admit(req, checked);
  }
}

function admit(req: KeyedRequest, checked: KeyCheck): true {
  if (checked instanceof KeyRefusal) throw KEY_REFUSAL_ERRORS[checked.code];
  req[AUTHENTICATED_KEY] = checked;
  return true;
}

/** Writes OpenAI-shaped errors for the routes it is bound to. */
@Catch(OpenAiError)
export class OpenAiErrorFilter implements ExceptionFilter {
  catch(error: OpenAiError, host: ArgumentsHost): void {
    sendOpenAiError(host.switchToHttp().getResponse<ServerResponse>(), error);
  }
}

/** Guard and error filter together, so a /v1 controller cannot have one without the other. */
export const RequireApiKey = () => applyDecorators(UseGuards(ApiKeyGuard), UseFilters(OpenAiErrorFilter));

/** The key the guard admitted. */
export const CurrentApiKey = createParamDecorator((_data: unknown, context: ExecutionContext): AuthenticatedKey => {
  const key = context.switchToHttp().getRequest<KeyedRequest>()[AUTHENTICATED_KEY];
  if (key === undefined) throw new Error('@CurrentApiKey() on a route without @RequireApiKey()');
  return key;
});
